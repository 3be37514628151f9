//! What is voted on and how: services, proposals, ballots, and the validated
//! ballot paper.
//!
//! The [`BallotPaper`] is the consultation as a voter sees it: settings, the
//! services one may declare using, and the proposals one may want or not want.
//! It is built once, checks itself (unique ids, known services, settings in
//! range) and interns every id to a small integer, so that counting never
//! compares strings.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{BallotError, BallotErrorKind, BallotField, TallyError, quoted};

/// What a proposal does with money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalKind {
    /// Saves `amount`; the savings adopted work towards the savings target.
    Saving,
    /// Costs `amount`; the developments adopted spend the development budget.
    Development,
}

impl ProposalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalKind::Saving => "saving",
            ProposalKind::Development => "development",
        }
    }
}

/// How a ballot was cast. The tally ignores it; the breakdown counts by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Online,
    Meeting,
    Paper,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Meeting => "meeting",
            Channel::Paper => "paper",
        }
    }
}

/// A public service that proposals may touch and voters may declare they use.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Service {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A saving or a development. `amount` is in minor units (pence, cents, grosze).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Proposal {
    pub id: String,
    pub kind: ProposalKind,
    pub amount: u64,
    /// Id of the service this proposal touches, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// One voter's ballot, with ids as strings (as submitted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Ballot {
    /// Proposal ids, most wanted first.
    pub want: Vec<String>,
    /// Proposal ids, most strongly rejected first.
    pub dont_want: Vec<String>,
    /// Ids of services the voter (or someone they care for) uses.
    pub uses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

/// A whole consultation: the exchange format (see [`crate::exchange`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Election {
    /// ISO 4217 code of the currency the amounts are in (`GBP`), so that the
    /// explanations can write `£800.00`; without it they write `80,000`. The
    /// count itself does not depend on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub config: Config,
    pub services: Vec<Service>,
    pub proposals: Vec<Proposal>,
    pub ballots: Vec<Ballot>,
    /// Ballots counted as sums rather than listed, so that no ballot in the file can be
    /// picked out by a rare area, channel or combination of services (see
    /// [`crate::disclosure`]). They count exactly as the ballots they stand for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<crate::withheld::Withheld>,
    /// For people reading the file: what was done to it and why. The count ignores it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Election {
    /// A short fingerprint of the rules a result is counted by: the SHA-256 of the
    /// election's `currency`, `config`, `services` and `proposals` written as the exchange
    /// format writes them (compact JSON, in that order), as 64 hex digits. Anyone can
    /// compute it from a published file, and any change to a setting, an amount, a title or
    /// the list of proposals changes it. The ballots do not enter it.
    pub fn rules_fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        #[derive(Serialize)]
        struct Rules<'a> {
            currency: &'a Option<String>,
            config: &'a Config,
            services: &'a [Service],
            proposals: &'a [Proposal],
        }
        let rules = Rules { currency: &self.currency, config: &self.config, services: &self.services, proposals: &self.proposals };
        // Plain data: serialisation cannot fail.
        let text = serde_json::to_string(&rules).unwrap_or_default();
        Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// FxHash (as in rustc): ids are short strings from a trusted paper, so a fast
/// non-cryptographic hash is right; lookups happen once per ballot entry.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

type IdMap = HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>;

/// Sentinel in [`BallotPaper::proposal_service`] for "touches no service".
pub(crate) const NO_SERVICE: u32 = u32::MAX;

/// A ballot's lists as interned indices, filled by [`BallotPaper::intern`].
#[derive(Clone, Debug, Default)]
pub(crate) struct InternedLists {
    pub want: Vec<u32>,
    pub dont_want: Vec<u32>,
    pub uses: Vec<u32>,
}

/// The validated consultation: settings, services and proposals, ids interned.
#[derive(Clone, Debug)]
pub struct BallotPaper {
    config: Config,
    services: Vec<Service>,
    proposals: Vec<Proposal>,
    service_index: IdMap,
    proposal_index: IdMap,
    /// For each proposal, the index of its service or [`NO_SERVICE`].
    proposal_service: Vec<u32>,
}

impl BallotPaper {
    /// Validates the settings, ids and references, in that order; the error
    /// names the first problem, e.g. `proposals[2].service: unknown service "pool"`.
    pub fn new(config: Config, services: Vec<Service>, proposals: Vec<Proposal>) -> Result<Self, TallyError> {
        config.validate()?;
        // Indices are u32 and u32::MAX is the "no service" sentinel.
        if services.len() >= NO_SERVICE as usize {
            return Err(TallyError::invalid("services", "too many services"));
        }
        if proposals.len() >= u32::MAX as usize {
            return Err(TallyError::invalid("proposals", "too many proposals"));
        }
        let mut service_index = IdMap::default();
        for (i, service) in services.iter().enumerate() {
            if service.id.is_empty() {
                return Err(TallyError::invalid(format!("services[{i}].id"), "must not be empty"));
            }
            if let Some(first) = service_index.insert(service.id.as_str().into(), i as u32) {
                return Err(TallyError::invalid(
                    format!("services[{i}].id"),
                    format!("duplicate service id {} (also services[{first}])", quoted(&service.id)),
                ));
            }
        }
        let mut proposal_index = IdMap::default();
        let mut proposal_service = Vec::with_capacity(proposals.len());
        // Every sum of amounts must fit in u64, so check the total once here.
        let mut total: u64 = 0;
        for (i, proposal) in proposals.iter().enumerate() {
            if proposal.id.is_empty() {
                return Err(TallyError::invalid(format!("proposals[{i}].id"), "must not be empty"));
            }
            if let Some(first) = proposal_index.insert(proposal.id.as_str().into(), i as u32) {
                return Err(TallyError::invalid(
                    format!("proposals[{i}].id"),
                    format!("duplicate proposal id {} (also proposals[{first}])", quoted(&proposal.id)),
                ));
            }
            let service = match &proposal.service {
                None => NO_SERVICE,
                Some(id) => match service_index.get(id.as_str()) {
                    Some(&s) => s,
                    None => {
                        return Err(TallyError::invalid(format!("proposals[{i}].service"), format!("unknown service {}", quoted(id))));
                    }
                },
            };
            proposal_service.push(service);
            total = total.checked_add(proposal.amount).ok_or_else(|| {
                TallyError::invalid(format!("proposals[{i}].amount"), format!("the amounts add up to more than {}", u64::MAX))
            })?;
        }
        Ok(BallotPaper { config, services, proposals, service_index, proposal_index, proposal_service })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn proposals(&self) -> &[Proposal] {
        &self.proposals
    }

    /// Position of a proposal in [`Self::proposals`], by id.
    pub fn proposal_index(&self, id: &str) -> Option<u32> {
        self.proposal_index.get(id).copied()
    }

    /// Position of a service in [`Self::services`], by id.
    pub fn service_index(&self, id: &str) -> Option<u32> {
        self.service_index.get(id).copied()
    }

    /// The service touched by proposal `p` (an index), or [`NO_SERVICE`].
    pub(crate) fn proposal_service(&self) -> &[u32] {
        &self.proposal_service
    }

    /// Checks one ballot against the paper: each list at most `rank_depth` long,
    /// no proposal twice (within or across `want` and `dont_want`), every id
    /// known. Repeating a service in `uses` is allowed: it states one fact twice.
    pub fn check_ballot(&self, want: &[String], dont_want: &[String], uses: &[String]) -> Result<(), BallotError> {
        self.intern(want, dont_want, uses, &mut InternedLists::default())
    }

    /// Validates a ballot and writes its interned lists into `out` (reused
    /// between ballots so that counting allocates nothing per ballot).
    /// Checks run in a fixed order (lengths, then `want`, `dont_want`, `uses`
    /// entry by entry) so the same ballot always gets the same error.
    pub(crate) fn intern<S: AsRef<str>>(
        &self,
        want: &[S],
        dont_want: &[S],
        uses: &[S],
        out: &mut InternedLists,
    ) -> Result<(), BallotError> {
        self.check_lengths(want.len(), dont_want.len())?;
        out.want.clear();
        out.dont_want.clear();
        out.uses.clear();
        for (field, list) in [(BallotField::Want, want), (BallotField::DontWant, dont_want)] {
            for (j, id) in list.iter().enumerate() {
                let id = id.as_ref();
                let p = self
                    .proposal_index(id)
                    .ok_or_else(|| BallotError::new(field, Some(j), BallotErrorKind::UnknownProposal { id: id.to_owned() }))?;
                // Lists are at most 20 long, so a linear scan beats any set.
                if out.want.contains(&p) || out.dont_want.contains(&p) {
                    return Err(BallotError::new(field, Some(j), BallotErrorKind::Repeated { id: id.to_owned() }));
                }
                match field {
                    BallotField::Want => out.want.push(p),
                    _ => out.dont_want.push(p),
                }
            }
        }
        for (j, id) in uses.iter().enumerate() {
            let id = id.as_ref();
            let s = self
                .service_index(id)
                .ok_or_else(|| BallotError::new(BallotField::Uses, Some(j), BallotErrorKind::UnknownService { id: id.to_owned() }))?;
            out.uses.push(s);
        }
        Ok(())
    }

    /// The same rules for a ballot already given as indices (see
    /// [`crate::Count::add_indexed`]); an out-of-range index is reported as an
    /// unknown id `#index`.
    pub(crate) fn check_indexed(&self, want: &[u32], dont_want: &[u32], uses: &[u32]) -> Result<(), BallotError> {
        self.check_lengths(want.len(), dont_want.len())?;
        let n = self.proposals.len();
        for (field, list) in [(BallotField::Want, want), (BallotField::DontWant, dont_want)] {
            for (j, &p) in list.iter().enumerate() {
                if p as usize >= n {
                    return Err(BallotError::new(field, Some(j), BallotErrorKind::UnknownProposal { id: format!("#{p}") }));
                }
                let seen = match field {
                    BallotField::Want => want[..j].contains(&p),
                    _ => want.contains(&p) || dont_want[..j].contains(&p),
                };
                if seen {
                    let id = self.proposals[p as usize].id.clone();
                    return Err(BallotError::new(field, Some(j), BallotErrorKind::Repeated { id }));
                }
            }
        }
        for (j, &s) in uses.iter().enumerate() {
            if s as usize >= self.services.len() {
                return Err(BallotError::new(BallotField::Uses, Some(j), BallotErrorKind::UnknownService { id: format!("#{s}") }));
            }
        }
        Ok(())
    }

    fn check_lengths(&self, want: usize, dont_want: usize) -> Result<(), BallotError> {
        let max = self.config.rank_depth;
        for (field, got) in [(BallotField::Want, want), (BallotField::DontWant, dont_want)] {
            if got > max as usize {
                return Err(BallotError::new(field, None, BallotErrorKind::TooLong { max, got }));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> BallotPaper {
        let services = vec![Service { id: "dc".into(), name: Some("Day centre".into()) }];
        let proposals = ["S1", "S2", "S3"]
            .iter()
            .map(|id| Proposal { id: id.to_string(), kind: ProposalKind::Saving, amount: 10, service: None, title: None })
            .collect();
        BallotPaper::new(Config { rank_depth: 2, ..Config::default() }, services, proposals).unwrap()
    }

    fn strings(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn check_ballot_names_field_and_entry() {
        let p = paper();
        assert!(p.check_ballot(&strings(&["S1"]), &strings(&["S2"]), &strings(&["dc", "dc"])).is_ok());
        let e = p.check_ballot(&strings(&["S1", "S2", "S3"]), &[], &[]).unwrap_err();
        assert_eq!(e, BallotError::new(BallotField::Want, None, BallotErrorKind::TooLong { max: 2, got: 3 }));
        let e = p.check_ballot(&strings(&["S1", "S1"]), &[], &[]).unwrap_err();
        assert_eq!((e.field, e.index), (BallotField::Want, Some(1)));
        assert_eq!(e.kind, BallotErrorKind::Repeated { id: "S1".into() });
        let e = p.check_ballot(&strings(&["S2"]), &strings(&["S1", "S2"]), &[]).unwrap_err();
        assert_eq!((e.field, e.index), (BallotField::DontWant, Some(1)));
        let e = p.check_ballot(&[], &strings(&["S9"]), &[]).unwrap_err();
        assert_eq!(e.kind, BallotErrorKind::UnknownProposal { id: "S9".into() });
        let e = p.check_ballot(&[], &[], &strings(&["dc", "pool"])).unwrap_err();
        assert_eq!((e.field, e.index), (BallotField::Uses, Some(1)));
        assert_eq!(e.kind, BallotErrorKind::UnknownService { id: "pool".into() });
    }

    #[test]
    fn paper_rejects_duplicates_and_unknown_services() {
        let s = |id: &str| Service { id: id.into(), name: None };
        let pr = |id: &str, service: Option<&str>| Proposal {
            id: id.into(),
            kind: ProposalKind::Development,
            amount: 1,
            service: service.map(Into::into),
            title: None,
        };
        let e = BallotPaper::new(Config::default(), vec![s("a"), s("a")], vec![]).unwrap_err();
        assert_eq!(e.to_string(), "services[1].id: duplicate service id \"a\" (also services[0])");
        let e = BallotPaper::new(Config::default(), vec![], vec![pr("P", None), pr("P", None)]).unwrap_err();
        assert_eq!(e.to_string(), "proposals[1].id: duplicate proposal id \"P\" (also proposals[0])");
        let e = BallotPaper::new(Config::default(), vec![s("a")], vec![pr("P", None), pr("Q", None), pr("R", Some("pool"))]).unwrap_err();
        assert_eq!(e.to_string(), "proposals[2].service: unknown service \"pool\"");
        let mut big = pr("B", None);
        big.amount = u64::MAX;
        let e = BallotPaper::new(Config::default(), vec![], vec![pr("P", None), big]).unwrap_err();
        assert!(e.to_string().starts_with("proposals[1].amount: the amounts add up to more than"));
    }
}
