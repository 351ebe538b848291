//! The one list of a family's kinds (sources, schedules, logs).

/// Declares a family's kind enum from one line per kind, `Variant(Config) = "name",`:
/// serde's `kind = "name"` tag, [`name`](#method.name), and `config()`, the one match that
/// hands each kind's own config out as the family's trait object, through which the
/// family's `validate` and `build` run. Adding a kind is one line here; the compiler then
/// asks for its config to implement the family's trait (in the kind's own file).
macro_rules! kind_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident: dyn $Trait:path {
            $( $(#[$vmeta:meta])* $Variant:ident($Config:ty) = $name:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
        #[serde(tag = "kind")]
        $vis enum $Enum {
            $( $(#[$vmeta])* #[serde(rename = $name)] $Variant(Box<$Config>), )+
        }

        impl $Enum {
            /// The `kind = "…"` that selects it.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$Variant(_) => $name, )+
                }
            }

            /// The kind's own settings, behind the family's trait.
            pub fn config(&self) -> &dyn $Trait {
                match self {
                    $( Self::$Variant(c) => &**c, )+
                }
            }
        }
    };
}

pub(crate) use kind_enum;
