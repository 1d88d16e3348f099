//! Host bindings of every `anneal:strategy` version the host serves (docs/design.md §11), one
//! module per version like the WIT folders (`wit/since_v0.1.0` → [`since_v0_1_0`]): each
//! generates that version's bindings and adapts them to the host's model. The newest
//! version's `types` *are* the model (`model::wire`); an older version's adapter maps its own
//! records onto the model ([`adapt`]) and fills in what it does not declare with the host's
//! rule. [`StrategyPre`] and [`ConvergencePre`] dispatch on the version a component was built
//! against (found by the loader), so the rest of the host never sees a version.
//!
//! Adding a version: copy the newest WIT folder to `wit/since_vX.Y.Z`, change it, point
//! `model::wire` at it, turn the previous newest module into an adapter like
//! [`since_v0_1_0`], and add a case here and in `loader::SUPPORTED_API_VERSIONS`.
pub mod adapt;
pub mod since_v0_1_0;
pub mod since_v0_2_0;

use crate::model::{Decision, RunInput, SpawnEstimate, StageOutput, StrategyInfo, Thresholds};
use crate::runtime::host_impl::HostState;
use adapt::Adapt;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{AsContextMut, Engine};

/// A strategy component linked for its version, ready to instantiate in a store whose data is
/// `T` (any `T` that can hand out its [`HostState`]).
pub enum StrategyPre<T: 'static> {
    V0_1_0(since_v0_1_0::StrategyPre<T>),
    V0_2_0(since_v0_2_0::StrategyPre<T>),
}

impl<T: Send + 'static> StrategyPre<T> {
    /// Links `component`, built against `anneal:strategy@{version}`, with the `host` interface
    /// served from `host(&mut T)` and, when `wasi` is set, WASI with nothing granted.
    ///
    /// # Errors
    /// A link error naming what does not match the world (a function of the wrong type, a
    /// missing export), or an unknown `version` (the loader accepts only served ones).
    pub fn link(
        engine: &Engine,
        component: &Component,
        version: &str,
        wasi: bool,
        host: fn(&mut T) -> &mut HostState,
    ) -> wasmtime::Result<Self>
    where
        T: wasmtime_wasi::WasiView,
    {
        let mut linker: Linker<T> = Linker::new(engine);
        if wasi {
            wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        }
        Ok(match version {
            "0.1.0" => {
                since_v0_1_0::Strategy::add_to_linker::<T, HasSelf<HostState>>(&mut linker, host)?;
                let pre = linker.instantiate_pre(component)?;
                StrategyPre::V0_1_0(since_v0_1_0::StrategyPre::new(pre)?)
            }
            "0.2.0" => {
                since_v0_2_0::Strategy::add_to_linker::<T, HasSelf<HostState>>(&mut linker, host)?;
                let pre = linker.instantiate_pre(component)?;
                StrategyPre::V0_2_0(since_v0_2_0::StrategyPre::new(pre)?)
            }
            other => wasmtime::bail!("anneal:strategy@{other} is not served by this host"),
        })
    }

    /// Instantiates the strategy and calls `info()`.
    ///
    /// # Errors
    /// A trap or an interruption of the guest.
    pub async fn info(
        &self,
        mut store: impl AsContextMut<Data = T>,
    ) -> wasmtime::Result<StrategyInfo> {
        Ok(match self {
            StrategyPre::V0_1_0(pre) => {
                let inst = pre.instantiate_async(&mut store).await?;
                since_v0_1_0::info(inst.call_info(&mut store).await?)
            }
            StrategyPre::V0_2_0(pre) => {
                let inst = pre.instantiate_async(&mut store).await?;
                inst.call_info(&mut store).await?
            }
        })
    }

    /// Instantiates the strategy and calls `estimate(options)`; `None` for a version that
    /// declares no estimate (0.1.0).
    ///
    /// # Errors
    /// A trap or an interruption of the guest.
    pub async fn estimate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        options: &[(String, String)],
    ) -> wasmtime::Result<Option<SpawnEstimate>> {
        Ok(match self {
            StrategyPre::V0_1_0(_) => None,
            StrategyPre::V0_2_0(pre) => {
                let inst = pre.instantiate_async(&mut store).await?;
                Some(inst.call_estimate(&mut store, options).await?)
            }
        })
    }

    /// Instantiates the strategy and calls `run(input)`.
    ///
    /// # Errors
    /// A trap or an interruption of the guest; the guest's own error is the inner `Err`.
    pub async fn run(
        &self,
        mut store: impl AsContextMut<Data = T>,
        input: &RunInput,
    ) -> wasmtime::Result<Result<StageOutput, String>> {
        Ok(match self {
            StrategyPre::V0_1_0(pre) => {
                let inst = pre.instantiate_async(&mut store).await?;
                let input: since_v0_1_0::anneal::strategy::types::RunInput = input.clone().adapt();
                inst.call_run(&mut store, &input).await?.adapt()
            }
            StrategyPre::V0_2_0(pre) => {
                let inst = pre.instantiate_async(&mut store).await?;
                inst.call_run(&mut store, input).await?
            }
        })
    }
}

/// A convergence checker linked for its version.
pub enum ConvergencePre<T: 'static> {
    V0_1_0(since_v0_1_0::convergence::ConvergencePre<T>),
    V0_2_0(since_v0_2_0::convergence::ConvergencePre<T>),
}

impl<T: Send + 'static> ConvergencePre<T> {
    /// Links a convergence `component` built against `anneal:strategy@{version}`; `host` is
    /// the store's [`HostState`] (a checker imports no function, only the types).
    ///
    /// # Errors
    /// As [`StrategyPre::link`].
    pub fn link(
        engine: &Engine,
        component: &Component,
        version: &str,
        host: fn(&mut T) -> &mut HostState,
    ) -> wasmtime::Result<Self> {
        let mut linker: Linker<T> = Linker::new(engine);
        Ok(match version {
            "0.1.0" => {
                since_v0_1_0::anneal::strategy::types::add_to_linker::<T, HasSelf<HostState>>(
                    &mut linker,
                    host,
                )?;
                let pre = linker.instantiate_pre(component)?;
                ConvergencePre::V0_1_0(since_v0_1_0::convergence::ConvergencePre::new(pre)?)
            }
            "0.2.0" => {
                crate::model::wire::add_to_linker::<T, HasSelf<HostState>>(&mut linker, host)?;
                let pre = linker.instantiate_pre(component)?;
                ConvergencePre::V0_2_0(since_v0_2_0::convergence::ConvergencePre::new(pre)?)
            }
            other => wasmtime::bail!("anneal:strategy@{other} is not served by this host"),
        })
    }

    /// Instantiates the checker and calls `check(depth, scores, cap, thresholds)`; the inner
    /// `Err` is the checker's own refusal of the input.
    ///
    /// # Errors
    /// A trap or an interruption of the guest.
    pub async fn check(
        &self,
        mut store: impl AsContextMut<Data = T>,
        depth: u32,
        scores: &[f64],
        cap: u32,
        thresholds: Option<Thresholds>,
    ) -> wasmtime::Result<Result<Decision, String>> {
        Ok(match self {
            ConvergencePre::V0_1_0(pre) => {
                let inst = pre.instantiate_async(&mut store).await?;
                inst.call_check(&mut store, depth, scores, cap, thresholds.adapt())
                    .await?
                    .adapt()
            }
            ConvergencePre::V0_2_0(pre) => {
                let inst = pre.instantiate_async(&mut store).await?;
                inst.call_check(&mut store, depth, scores, cap, thresholds)
                    .await?
            }
        })
    }
}
