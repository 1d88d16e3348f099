//! Services the project depends on (databases, queues, caches, search, object stores), from
//! three kinds of evidence, in this order (the first source of a name wins):
//! 1. compose service images (`postgres:16` → `postgresql`, database);
//! 2. client libraries declared in manifests (`psycopg`, `sqlx` with the `postgres` feature,
//!    `ioredis`, `github.com/jackc/pgx/v5`, …) — engine-agnostic libraries such as SQLAlchemy or
//!    Prisma name no service and add none;
//! 3. environment variables: a name that names a service (`REDIS_URL`, `POSTGRES_HOST`,
//!    `KAFKA_BROKERS`) or a template value whose URL scheme does (`DATABASE_URL=postgresql://…`).
//!
//! Kinds: `database`, `queue`, `cache`, `search`, `object-store`, `other`.

use super::deps::{Dependency, Ecosystem};
use crate::model::DetectedService;

type Svc = (&'static str, &'static str);

const POSTGRES: Svc = ("postgresql", "database");
const MYSQL: Svc = ("mysql", "database");
const SQLITE: Svc = ("sqlite", "database");
const MONGO: Svc = ("mongodb", "database");
const REDIS: Svc = ("redis", "cache");
const MEMCACHED: Svc = ("memcached", "cache");
const RABBIT: Svc = ("rabbitmq", "queue");
const KAFKA: Svc = ("kafka", "queue");
const NATS: Svc = ("nats", "queue");
const ELASTIC: Svc = ("elasticsearch", "search");
const OPENSEARCH: Svc = ("opensearch", "search");
const MEILI: Svc = ("meilisearch", "search");
const S3: Svc = ("s3", "object-store");
const MINIO: Svc = ("minio", "object-store");

/// Image keyword (matched inside the image path without tag) → service; first match wins.
const IMAGES: &[(&str, Svc)] = &[
    ("postgis", POSTGRES),
    ("postgres", POSTGRES),
    ("timescaledb", POSTGRES),
    ("cockroach", ("cockroachdb", "database")),
    ("mariadb", ("mariadb", "database")),
    ("mysql", MYSQL),
    ("mongo", MONGO),
    ("cassandra", ("cassandra", "database")),
    ("scylla", ("scylladb", "database")),
    ("clickhouse", ("clickhouse", "database")),
    ("neo4j", ("neo4j", "database")),
    ("couchdb", ("couchdb", "database")),
    ("influxdb", ("influxdb", "database")),
    ("mssql", ("sqlserver", "database")),
    ("valkey", REDIS),
    ("keydb", REDIS),
    ("dragonfly", REDIS),
    ("redis", REDIS),
    ("memcached", MEMCACHED),
    ("rabbitmq", RABBIT),
    ("redpanda", KAFKA),
    ("kafka", KAFKA),
    ("nats", NATS),
    ("activemq", ("activemq", "queue")),
    ("pulsar", ("pulsar", "queue")),
    ("elasticmq", ("sqs", "queue")),
    ("elasticsearch", ELASTIC),
    ("opensearch", OPENSEARCH),
    ("meilisearch", MEILI),
    ("typesense", ("typesense", "search")),
    ("solr", ("solr", "search")),
    ("minio", MINIO),
    ("localstack", ("localstack", "other")),
    ("mailhog", ("smtp", "other")),
    ("mailpit", ("smtp", "other")),
    ("zookeeper", ("zookeeper", "other")),
    ("etcd", ("etcd", "other")),
    ("consul", ("consul", "other")),
];

/// The service a container image provides (`docker.io/bitnami/postgresql:15` → postgresql).
pub fn for_image(image: &str) -> Option<Svc> {
    let image = image
        .split('@')
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    // Drop the tag (a `:` after the last `/`), keep registry host ports intact.
    let path = match image.rfind(':') {
        Some(i) if i > image.rfind('/').unwrap_or(0) => &image[..i],
        _ => image.as_str(),
    };
    IMAGES
        .iter()
        .find(|(k, _)| path.contains(k))
        .map(|(_, s)| *s)
}

/// The services a declared dependency is a client of (empty for everything else).
pub fn for_dependency(d: &Dependency) -> Vec<Svc> {
    let n = d.name.as_str();
    let one = |s: Option<Svc>| s.into_iter().collect::<Vec<_>>();
    match d.eco {
        Ecosystem::Cargo => match n {
            "sqlx" | "diesel" | "sea-orm" => {
                let mut out = Vec::new();
                let has = |k: &str| d.features.iter().any(|f| f.contains(k));
                if has("postgres") {
                    out.push(POSTGRES);
                }
                if has("mysql") {
                    out.push(MYSQL);
                }
                if has("sqlite") {
                    out.push(SQLITE);
                }
                out
            }
            "tokio-postgres" | "postgres" | "deadpool-postgres" | "bb8-postgres"
            | "r2d2_postgres" => vec![POSTGRES],
            "mysql" | "mysql_async" => vec![MYSQL],
            "rusqlite" => vec![SQLITE],
            "redis" | "deadpool-redis" | "bb8-redis" | "fred" | "redis-async" => vec![REDIS],
            "memcache" => vec![MEMCACHED],
            "lapin" | "amiquip" => vec![RABBIT],
            "rdkafka" | "kafka" => vec![KAFKA],
            "async-nats" | "nats" => vec![NATS],
            "mongodb" => vec![MONGO],
            "elasticsearch" => vec![ELASTIC],
            "opensearch" => vec![OPENSEARCH],
            "meilisearch-sdk" => vec![MEILI],
            "aws-sdk-s3" | "rust-s3" => vec![S3],
            _ => vec![],
        },
        Ecosystem::Npm => one(match n {
            "pg" | "postgres" | "pg-promise" | "slonik" | "@neondatabase/serverless" => {
                Some(POSTGRES)
            }
            "mysql" | "mysql2" => Some(MYSQL),
            "sqlite3" | "better-sqlite3" => Some(SQLITE),
            "redis" | "ioredis" | "bull" | "bullmq" | "@upstash/redis" => Some(REDIS),
            "memjs" | "memcached" => Some(MEMCACHED),
            "amqplib" | "amqp-connection-manager" => Some(RABBIT),
            "kafkajs" | "node-rdkafka" => Some(KAFKA),
            "nats" => Some(NATS),
            "mongoose" | "mongodb" => Some(MONGO),
            "@elastic/elasticsearch" => Some(ELASTIC),
            "@opensearch-project/opensearch" => Some(OPENSEARCH),
            "meilisearch" => Some(MEILI),
            "@aws-sdk/client-s3" => Some(S3),
            "minio" => Some(MINIO),
            _ => None,
        }),
        Ecosystem::Python => one(match n {
            "psycopg" | "psycopg2" | "psycopg2-binary" | "psycopg-binary" | "asyncpg"
            | "pg8000" => Some(POSTGRES),
            "mysqlclient" | "pymysql" | "aiomysql" | "mysql-connector-python" => Some(MYSQL),
            "redis" | "aioredis" | "rq" => Some(REDIS),
            "pymemcache" | "python-memcached" => Some(MEMCACHED),
            "celery" => Some(("celery", "queue")),
            "kafka-python" | "confluent-kafka" | "aiokafka" => Some(KAFKA),
            "pika" | "aio-pika" => Some(RABBIT),
            "nats-py" => Some(NATS),
            "pymongo" | "motor" | "mongoengine" => Some(MONGO),
            "elasticsearch" => Some(ELASTIC),
            "opensearch-py" => Some(OPENSEARCH),
            "meilisearch" => Some(MEILI),
            "minio" => Some(MINIO),
            _ => None,
        }),
        Ecosystem::Go => {
            let n = n.to_ascii_lowercase();
            const GO: &[(&str, Svc)] = &[
                ("github.com/lib/pq", POSTGRES),
                ("github.com/jackc/pgx", POSTGRES),
                ("github.com/go-sql-driver/mysql", MYSQL),
                ("github.com/mattn/go-sqlite3", SQLITE),
                ("modernc.org/sqlite", SQLITE),
                ("github.com/redis/go-redis", REDIS),
                ("github.com/go-redis/redis", REDIS),
                ("github.com/gomodule/redigo", REDIS),
                ("github.com/bradfitz/gomemcache", MEMCACHED),
                ("go.mongodb.org/mongo-driver", MONGO),
                ("github.com/segmentio/kafka-go", KAFKA),
                ("github.com/shopify/sarama", KAFKA),
                ("github.com/ibm/sarama", KAFKA),
                ("github.com/confluentinc/confluent-kafka-go", KAFKA),
                ("github.com/twmb/franz-go", KAFKA),
                ("github.com/nats-io/nats.go", NATS),
                ("github.com/rabbitmq/amqp091-go", RABBIT),
                ("github.com/streadway/amqp", RABBIT),
                ("github.com/elastic/go-elasticsearch", ELASTIC),
                ("github.com/minio/minio-go", MINIO),
            ];
            one(GO.iter().find(|(p, _)| n.starts_with(p)).map(|(_, s)| *s))
        }
        Ecosystem::Jvm => one(match n {
            "postgresql" | "r2dbc-postgresql" => Some(POSTGRES),
            "mysql-connector-java" | "mysql-connector-j" | "mariadb-java-client" => Some(MYSQL),
            "jedis" | "lettuce-core" | "redisson" | "spring-boot-starter-data-redis" => Some(REDIS),
            "kafka-clients" | "spring-kafka" => Some(KAFKA),
            "amqp-client" | "spring-boot-starter-amqp" | "spring-rabbit" => Some(RABBIT),
            "mongodb-driver-sync"
            | "mongodb-driver-reactivestreams"
            | "spring-boot-starter-data-mongodb" => Some(MONGO),
            "elasticsearch-java" | "spring-boot-starter-data-elasticsearch" => Some(ELASTIC),
            _ => None,
        }),
        Ecosystem::Ruby => one(match n {
            "pg" => Some(POSTGRES),
            "mysql2" => Some(MYSQL),
            "sqlite3" => Some(SQLITE),
            "redis" | "sidekiq" => Some(REDIS),
            "dalli" => Some(MEMCACHED),
            "bunny" => Some(RABBIT),
            "ruby-kafka" | "rdkafka" => Some(KAFKA),
            "mongoid" | "mongo" => Some(MONGO),
            "elasticsearch" => Some(ELASTIC),
            _ => None,
        }),
        Ecosystem::Php => one(match n {
            "predis/predis" => Some(REDIS),
            "php-amqplib/php-amqplib" => Some(RABBIT),
            "mongodb/mongodb" => Some(MONGO),
            "elasticsearch/elasticsearch" => Some(ELASTIC),
            _ => None,
        }),
        Ecosystem::Elixir => one(match n {
            "postgrex" => Some(POSTGRES),
            "myxql" => Some(MYSQL),
            "redix" => Some(REDIS),
            "amqp" => Some(RABBIT),
            "broadway_kafka" | "kaffe" | "brod" => Some(KAFKA),
            _ => None,
        }),
    }
}

/// The service an environment variable name names (`REDIS_URL` → redis); generic names such
/// as `DATABASE_URL` name none (see [`for_scheme`]).
pub fn for_env_name(name: &str) -> Option<Svc> {
    const PREFIXES: &[(&str, Svc)] = &[
        ("POSTGRES_", POSTGRES),
        ("POSTGRESQL_", POSTGRES),
        ("MYSQL_", MYSQL),
        ("MARIADB_", ("mariadb", "database")),
        ("MONGO_", MONGO),
        ("MONGODB_", MONGO),
        ("REDIS_", REDIS),
        ("VALKEY_", REDIS),
        ("MEMCACHED_", MEMCACHED),
        ("RABBITMQ_", RABBIT),
        ("AMQP_", RABBIT),
        ("KAFKA_", KAFKA),
        ("NATS_", NATS),
        ("ELASTICSEARCH_", ELASTIC),
        ("OPENSEARCH_", OPENSEARCH),
        ("MEILI_", MEILI),
        ("MINIO_", MINIO),
        ("S3_", S3),
    ];
    const PG: &[&str] = &["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"];
    if PG.contains(&name) {
        return Some(POSTGRES);
    }
    PREFIXES
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map(|(_, s)| *s)
}

/// The service a URL scheme names (`postgresql+asyncpg` → postgresql, `rediss` → redis).
pub fn for_scheme(scheme: &str) -> Option<Svc> {
    let base = scheme.split('+').next().unwrap_or(scheme);
    Some(match base {
        "postgres" | "postgresql" | "pg" => POSTGRES,
        "mysql" => MYSQL,
        "mariadb" => ("mariadb", "database"),
        "sqlite" => SQLITE,
        "mongodb" => MONGO,
        "redis" | "rediss" | "valkey" => REDIS,
        "memcached" => MEMCACHED,
        "amqp" | "amqps" => RABBIT,
        "kafka" => KAFKA,
        "nats" => NATS,
        "s3" => S3,
        _ => return None,
    })
}

/// The detected services, de-duplicated by name (first source wins).
#[derive(Debug, Default)]
pub struct Services(Vec<DetectedService>);

impl Services {
    /// Records `svc` found in `source` unless a service of that name is already recorded.
    pub fn add(&mut self, svc: Svc, source: &str) {
        if !self.0.iter().any(|s| s.name == svc.0) {
            self.0.push(DetectedService {
                name: svc.0.to_string(),
                kind: svc.1.to_string(),
                source: source.to_string(),
            });
        }
    }

    /// The services in discovery order.
    pub fn into_vec(self) -> Vec<DetectedService> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(for_image("postgres:16-alpine"), Some(POSTGRES));
        assert_eq!(for_image("postgis/postgis:16-3.4"), Some(POSTGRES));
        assert_eq!(for_image("bitnami/postgresql"), Some(POSTGRES));
        assert_eq!(for_image("valkey/valkey:8"), Some(REDIS));
        assert_eq!(for_image("localhost:5000/redis:7"), Some(REDIS));
        assert_eq!(
            for_image("docker.redpanda.com/redpandadata/redpanda"),
            Some(KAFKA)
        );
        assert_eq!(for_image("minio/minio:latest"), Some(MINIO));
        assert_eq!(for_image("python:3.12-slim"), None);
    }

    #[test]
    fn dependencies_and_env() {
        let dep = |eco, name: &str, features: &[&str]| Dependency {
            eco,
            name: name.into(),
            features: features.iter().map(|f| f.to_string()).collect(),
            source: "x".into(),
        };
        assert_eq!(
            for_dependency(&dep(
                Ecosystem::Cargo,
                "sqlx",
                &["runtime-tokio", "postgres"]
            )),
            [POSTGRES]
        );
        assert!(for_dependency(&dep(Ecosystem::Cargo, "sqlx", &[])).is_empty());
        assert_eq!(
            for_dependency(&dep(Ecosystem::Python, "psycopg", &[])),
            [POSTGRES]
        );
        assert!(for_dependency(&dep(Ecosystem::Python, "sqlalchemy", &[])).is_empty());
        assert_eq!(
            for_dependency(&dep(Ecosystem::Go, "github.com/jackc/pgx/v5", &[])),
            [POSTGRES]
        );
        assert_eq!(
            for_dependency(&dep(Ecosystem::Npm, "ioredis", &[])),
            [REDIS]
        );
        assert_eq!(for_env_name("REDIS_URL"), Some(REDIS));
        assert_eq!(for_env_name("DATABASE_URL"), None);
        assert_eq!(for_scheme("postgresql+asyncpg"), Some(POSTGRES));
        let mut s = Services::default();
        s.add(POSTGRES, "docker-compose.yml");
        s.add(POSTGRES, "pyproject.toml");
        assert_eq!(s.into_vec()[0].source, "docker-compose.yml");
    }
}
