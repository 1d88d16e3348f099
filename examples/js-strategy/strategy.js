// A Cast-like anneal strategy written in JavaScript, made a WebAssembly component with the
// Bytecode Alliance's ComponentizeJS (`@bytecodealliance/componentize-js`, pinned in
// package.json). It implements the `strategy` world of `wit/since_v0.2.0`:
//
// - `info()` names it (`js-cast`), declares its options and where a re-loop re-enters;
// - `estimate(options)` returns the agent spawns `run` makes (one planner and Momus, twice
//   more for the re-plan on BLOCK);
// - `run(input)` asks one `prometheus-cast` planner through the host, has Momus audit the plan,
//   re-plans once with Momus's findings folded in when Momus blocks, and returns the plan.
//
// Host calls that return `result<_, host-error>` throw on `err` (the error's `payload` is the
// `host-error` variant, `{ tag, val }`); `run` throws a string to fail the run with it.
// `console.log` lines reach the run's `run.log` (`[guest …] stdout: …`). With `--opt probe=true`
// it logs what JavaScript can reach of the filesystem, network and environment (under anneal's
// sandbox, nothing); with `--opt fetch=true` it calls `fetch`, which stops the guest.
import { invokeAgent, momus, log, progress } from "anneal:strategy/host@0.2.0";

const NAME = "js-cast";
const VERSION = "0.1.0";

export function info() {
  return {
    name: NAME,
    version: VERSION,
    description:
      "Cast in JavaScript: one planner call, Momus audits, one re-plan on BLOCK.",
    options: [
      {
        name: "probe",
        description:
          "log what the guest can reach of the filesystem, network and environment",
        kind: "flag",
        defaultValue: "false",
        min: undefined,
        max: undefined,
        belowMin: undefined,
        aboveMax: undefined,
      },
      {
        name: "fetch",
        description: "try the network with fetch() before planning (anneal stops the guest)",
        kind: "flag",
        defaultValue: "false",
        min: undefined,
        max: undefined,
        belowMin: undefined,
        aboveMax: undefined,
      },
    ],
    reentry: "enrich",
  };
}

export function estimate(_options) {
  return {
    best: 2,
    worst: 4,
    auditsFinalPlan: true,
    redTeamsFinalPlan: false,
    basis: "planner + Momus, and both again once when Momus blocks",
  };
}

function request(extraDirectives) {
  return {
    role: "prometheus-cast",
    category: undefined,
    lens: undefined,
    extraDirectives,
    priorPlan: undefined,
    feedback: [],
    scores: [],
    depth: undefined,
  };
}

// A host call, its `host-error` turned into the strategy's own error message.
function call(what, fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    const err = e && e.payload ? e.payload : e;
    const text = err && err.tag ? `${err.tag}: ${err.val}` : String(err);
    throw `${what} failed: ${text}`;
  }
}

// What the sandbox lets JavaScript reach: Node's, Deno's and Bun's host objects (process,
// require, the file system modules), the web's network objects, and the environment. Each is
// reported as found, never assumed.
function probe() {
  const names = ["process", "require", "Deno", "Bun", "fetch", "XMLHttpRequest", "WebSocket"];
  const seen = names.map((n) => `${n}=${typeof globalThis[n]}`);
  const env =
    typeof globalThis.process === "object" && globalThis.process && globalThis.process.env
      ? Object.keys(globalThis.process.env).sort()
      : [];
  log("info", `probe: globals ${seen.join(" ")}; environ keys = [${env.join(", ")}]`);
}

// Tries the network: `fetch` of a local address. The component is built without `wasi:http`
// (`--disable http fetch-event`), so the call cannot reach anything: the embedding traps, and
// anneal ends the run with a runtime error (exit 5). Never returns normally under anneal.
function fetchSomething() {
  log("info", "fetch: calling fetch('http://127.0.0.1:9/')");
  const p = globalThis.fetch("http://127.0.0.1:9/");
  log("info", `fetch: returned ${typeof p}`);
}

export function run(input) {
  const on = (name) => input.options.some(([k, v]) => k === name && v === "true");
  if (on("probe")) {
    probe();
  }
  if (on("fetch")) {
    fetchSomething();
  }
  console.log(`${NAME}: planning '${input.task}'`);
  progress(`${NAME}: planning`);
  let plan = call("planner", invokeAgent, request([]));
  let audit = call("momus", momus, plan, undefined);
  let loops = 0;
  if (audit.verdict === "block") {
    const folded = audit.findings.map((f) => `${f.concern} — ${f.demand}`);
    log("info", `${NAME}: Momus blocked (${folded.length} findings); re-planning once`);
    plan = call("planner", invokeAgent, request(folded));
    audit = call("momus", momus, plan, undefined);
    loops = 1;
  }
  console.log(`${NAME}: ${plan.phases.length} phases, momus ${audit.verdict} ${audit.score ?? "-"}`);
  return {
    plan,
    stageLoops: loops,
    depthFinal: undefined,
    depthScores: [],
    convergenceReason: undefined,
    biasSet: [],
    notes: [`${NAME} ${VERSION}: momus ${audit.verdict}`],
  };
}
