//! The builder setters of estimators, evaluators and models, written once.

/// Builder setters with Spark's parameter names, one per `name: type` entry, each keeping its doc comment:
/// - `name: T` takes a `T` and stores it by `Into` (`&str` into a `String` field);
/// - `name: Option<&str>` takes a column name for an `Option<String>` field that has no default;
/// - `name: [&str]` takes any list of column names for a `Vec<String>` field.
macro_rules! setters {
    () => {};
    ($(#[$doc:meta])* $name:ident: Option<&str> $(, $($rest:tt)*)?) => {
        $(#[$doc])*
        pub fn $name(mut self, name: &str) -> Self {
            self.$name = Some(name.to_string());
            self
        }
        $crate::builder::setters! { $($($rest)*)? }
    };
    ($(#[$doc:meta])* $name:ident: [&str] $(, $($rest:tt)*)?) => {
        $(#[$doc])*
        pub fn $name<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
            self.$name = names.into_iter().map(Into::into).collect();
            self
        }
        $crate::builder::setters! { $($($rest)*)? }
    };
    ($(#[$doc:meta])* $name:ident: $t:ty $(, $($rest:tt)*)?) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $t) -> Self {
            self.$name = value.into();
            self
        }
        $crate::builder::setters! { $($($rest)*)? }
    };
}
pub(crate) use setters;
