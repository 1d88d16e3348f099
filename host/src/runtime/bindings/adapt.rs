//! Conversions between an older WIT version's generated records and the host's model (the
//! newest version's records), field by field. [`Adapt`] is implemented for the scalars, for
//! `list`/`option`/`result`/`tuple` of adaptable types, and — by the [`records`] and [`enums`]
//! macros of each version's adapter — for every record and enum in both directions. A field
//! missing from a macro's list fails to compile (the struct literal is incomplete), so an
//! adapter cannot silently drop a field the target has.

/// Converts `self` into the same value in another version's type.
pub trait Adapt<T> {
    fn adapt(self) -> T;
}

macro_rules! scalars {
    ($($t:ty),*) => {$(
        impl Adapt<$t> for $t {
            fn adapt(self) -> $t {
                self
            }
        }
    )*};
}
scalars!(String, bool, u8, u32, u64, i64, f64);

impl<A: Adapt<B>, B> Adapt<Vec<B>> for Vec<A> {
    fn adapt(self) -> Vec<B> {
        self.into_iter().map(Adapt::adapt).collect()
    }
}

impl<A: Adapt<B>, B> Adapt<Option<B>> for Option<A> {
    fn adapt(self) -> Option<B> {
        self.map(Adapt::adapt)
    }
}

impl<A: Adapt<B>, B, E: Adapt<F>, F> Adapt<Result<B, F>> for Result<A, E> {
    fn adapt(self) -> Result<B, F> {
        self.map(Adapt::adapt).map_err(Adapt::adapt)
    }
}

impl<A1: Adapt<B1>, B1, A2: Adapt<B2>, B2> Adapt<(B1, B2)> for (A1, A2) {
    fn adapt(self) -> (B1, B2) {
        (self.0.adapt(), self.1.adapt())
    }
}

/// `records!(old => new { Name { field, … } … })` (`old`, `new`: module names in scope):
/// [`Adapt`] both ways for records whose fields have the same names in both versions.
macro_rules! records {
    ($old:ident => $new:ident { $($name:ident { $($field:ident),* $(,)? })* }) => {$(
        impl $crate::runtime::bindings::adapt::Adapt<$new::$name> for $old::$name {
            fn adapt(self) -> $new::$name {
                $new::$name { $($field: $crate::runtime::bindings::adapt::Adapt::adapt(self.$field)),* }
            }
        }
        impl $crate::runtime::bindings::adapt::Adapt<$old::$name> for $new::$name {
            fn adapt(self) -> $old::$name {
                $old::$name { $($field: $crate::runtime::bindings::adapt::Adapt::adapt(self.$field)),* }
            }
        }
    )*};
}

/// `enums!(old => new { Name { Variant, … } … })` (module names in scope): [`Adapt`] both
/// ways for enums with the same cases in both versions.
macro_rules! enums {
    ($old:ident => $new:ident { $($name:ident { $($case:ident),* $(,)? })* }) => {$(
        impl $crate::runtime::bindings::adapt::Adapt<$new::$name> for $old::$name {
            fn adapt(self) -> $new::$name {
                match self { $($old::$name::$case => $new::$name::$case),* }
            }
        }
        impl $crate::runtime::bindings::adapt::Adapt<$old::$name> for $new::$name {
            fn adapt(self) -> $old::$name {
                match self { $($new::$name::$case => $old::$name::$case),* }
            }
        }
    )*};
}

pub(crate) use {enums, records};
