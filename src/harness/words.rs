//! The closed sets of words a step sentence matches (`(no|a wrong|the
//! current) two-factor code`), as enums: [`crate::words!`].

/// Declares an enum whose variants are the words a step sentence matches,
/// each with the words it is written as (the first is how it is shown), and
/// its `FromStr`, so a step takes it as a typed argument:
///
/// ```text
/// crate::words! {
///     /// The two-factor code a step submits.
///     enum Code { Missing = "no", Wrong = "a wrong", Current = "the current" }
/// }
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! words {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $first:literal $(| $more:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            /// The words it is written as in a sentence (the first, if several).
            #[allow(dead_code)]
            pub fn words(self) -> &'static str {
                match self { $( $name::$variant => $first ),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(words: &str) -> Result<Self, String> {
                match words {
                    $( $first $(| $more)* => Ok($name::$variant), )+
                    other => Err(format!(
                        "`{other}` is none of the words of {}", stringify!($name)
                    )),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::words! {
        enum Verdict { Accepted = "accepted" | "still accepted", Refused = "refused" }
    }

    #[test]
    fn words_parse_to_their_variant_and_nothing_else_does() {
        assert_eq!("still accepted".parse(), Ok(Verdict::Accepted));
        assert_eq!("refused".parse(), Ok(Verdict::Refused));
        assert_eq!(Verdict::Accepted.words(), "accepted");
        let e = "Refused".parse::<Verdict>().unwrap_err();
        assert!(e.contains("`Refused`") && e.contains("Verdict"), "{e}");
    }
}
