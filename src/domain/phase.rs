use crate::errors::ParseError;

/// Where a consultation is in its life: `draft → open → closed → published`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Being written; only staff can see it; everything can be edited.
    Draft,
    /// Residents can vote; the ballot paper is frozen.
    Open,
    /// Voting has ended; commissioners review the result.
    Closed,
    /// The result is public.
    Published,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Open => "open",
            Phase::Closed => "closed",
            Phase::Published => "published",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "draft" => Ok(Phase::Draft),
            "open" => Ok(Phase::Open),
            "closed" => Ok(Phase::Closed),
            "published" => Ok(Phase::Published),
            other => Err(ParseError(format!("unknown phase {other:?}"))),
        }
    }

    /// The phase an action moves to, or why it cannot happen now.
    pub fn advance(self, to: Phase) -> Result<Phase, String> {
        match (self, to) {
            (Phase::Draft, Phase::Open) | (Phase::Open, Phase::Closed) | (Phase::Closed, Phase::Published) => Ok(to),
            (from, to) if from == to => Err(format!("the consultation is already {}", to.as_str())),
            (from, to) => Err(format!(
                "a consultation that is {} cannot become {} (the order is draft, open, closed, published)",
                from.as_str(),
                to.as_str()
            )),
        }
    }

    /// Whether the public may read the ballot paper.
    pub fn is_public(self) -> bool {
        self != Phase::Draft
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_only_move_forward_one_step() {
        assert_eq!(Phase::Draft.advance(Phase::Open), Ok(Phase::Open));
        assert_eq!(Phase::Open.advance(Phase::Closed), Ok(Phase::Closed));
        assert_eq!(Phase::Closed.advance(Phase::Published), Ok(Phase::Published));
        assert!(Phase::Draft.advance(Phase::Closed).is_err());
        assert!(Phase::Open.advance(Phase::Open).unwrap_err().contains("already open"));
        assert!(Phase::Published.advance(Phase::Open).is_err());
        for p in [Phase::Draft, Phase::Open, Phase::Closed, Phase::Published] {
            assert_eq!(Phase::parse(p.as_str()), Ok(p));
        }
    }
}
