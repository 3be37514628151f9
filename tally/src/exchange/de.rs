//! Reading the exchange format with serde, fast and with precise error paths.
//!
//! Hand-written visitors rather than derives, for two reasons:
//! - **Error paths.** Each visitor pushes its place (`proposals`, `[2]`,
//!   `amount`) on a shared [`Path`] and pops it only on success, so when an
//!   error propagates the stack still holds exactly where it happened, and the
//!   message can say `proposals[2].amount: must be a whole number >= 0, got -5`.
//! - **Speed.** Ballots are most of a file. Their ids are borrowed from the
//!   input where possible (`Cow<str>`: a JSON string with escapes cannot be
//!   borrowed) into one flat list, so parsing 65,000 ballots allocates a handful
//!   of vectors rather than a `Vec<String>` per ballot.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::config::Config;
use crate::count::Count;
use crate::error::TallyError;
use crate::model::{Ballot, BallotPaper, Channel, Election, Proposal, ProposalKind, Service};
use crate::money;
use crate::result::TallyResult;
use crate::withheld::Withheld;

/// Where a parse error happened, and the first non-JSON problem found while
/// streaming (an invalid paper or ballot), which serde's error type cannot carry.
///
/// The path costs nothing while parsing succeeds: each level adds its segment
/// only as an error passes back out through it, so the segments arrive
/// innermost first.
#[derive(Default)]
pub(crate) struct Path {
    unwound: RefCell<Vec<Segment>>,
    failure: RefCell<Option<TallyError>>,
}

#[derive(Clone, Copy)]
enum Segment {
    Key(&'static str),
    Index(usize),
}

impl Path {
    /// Runs `f`; if it fails, records `segment` as part of the failing place.
    #[inline]
    fn within<T, E>(&self, segment: Segment, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        f().inspect_err(|_| self.unwound.borrow_mut().push(segment))
    }

    /// Records a problem that is not about JSON; the returned serde error only
    /// stops the parse, and the caller reports the recorded problem instead.
    fn fail<E: de::Error>(&self, error: TallyError) -> E {
        let message = error.to_string();
        self.failure.borrow_mut().get_or_insert(error);
        E::custom(message)
    }

    pub(crate) fn take_failure(&self) -> Option<TallyError> {
        self.failure.borrow_mut().take()
    }

    /// `proposals[2].amount`; empty at the top level.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for segment in self.unwound.borrow().iter().rev() {
            match segment {
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// The document with ballots still as (mostly borrowed) strings.
pub(crate) struct RawElection<'de> {
    pub currency: Option<String>,
    pub config: Config,
    pub services: Vec<Service>,
    pub proposals: Vec<Proposal>,
    pub ballots: RawBallots<'de>,
    pub withheld: Option<Withheld>,
    pub note: Option<String>,
    /// The result, when the ballots were counted while parsing (see [`ElectionSeed::count`]).
    pub counted: Option<TallyResult>,
}

/// All ballots' ids in one flat list; each ballot holds ranges into it.
#[derive(Default)]
pub(crate) struct RawBallots<'de> {
    ids: Vec<Cow<'de, str>>,
    ballots: Vec<RawBallot<'de>>,
}

struct RawBallot<'de> {
    want: Range<usize>,
    dont_want: Range<usize>,
    uses: Range<usize>,
    channel: Option<Channel>,
    area: Option<Cow<'de, str>>,
}

/// One ballot's view into [`RawBallots`].
pub(crate) struct RawBallotRef<'a, 'de> {
    pub want: &'a [Cow<'de, str>],
    pub dont_want: &'a [Cow<'de, str>],
    pub uses: &'a [Cow<'de, str>],
    pub channel: Option<Channel>,
    pub area: Option<&'a str>,
}

impl<'de> RawBallots<'de> {
    fn clear(&mut self) {
        self.ids.clear();
        self.ballots.clear();
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = RawBallotRef<'_, 'de>> {
        self.ballots.iter().map(|b| RawBallotRef {
            want: &self.ids[b.want.clone()],
            dont_want: &self.ids[b.dont_want.clone()],
            uses: &self.ids[b.uses.clone()],
            channel: b.channel,
            area: b.area.as_deref(),
        })
    }

    pub(crate) fn into_owned(self) -> Vec<Ballot> {
        let strings = |range: &Range<usize>| self.ids[range.clone()].iter().map(|s| s.to_string()).collect();
        self.ballots
            .iter()
            .map(|b| Ballot {
                want: strings(&b.want),
                dont_want: strings(&b.dont_want),
                uses: strings(&b.uses),
                channel: b.channel,
                area: b.area.as_ref().map(|a| a.to_string()),
            })
            .collect()
    }
}

impl RawElection<'_> {
    pub(crate) fn into_election(self) -> Election {
        Election {
            currency: self.currency,
            config: self.config,
            services: self.services,
            proposals: self.proposals,
            ballots: self.ballots.into_owned(),
            withheld: self.withheld,
            note: self.note,
        }
    }
}

/// Reads the whole document.
pub(crate) struct ElectionSeed<'a> {
    pub path: &'a Path,
    /// Count the ballots as they are read instead of keeping them, when
    /// `config`, `services` and `proposals` all come before `ballots` (the
    /// usual order). Saves holding every ballot in memory; the result is the same.
    pub count: bool,
}

impl<'de> DeserializeSeed<'de> for ElectionSeed<'_> {
    type Value = RawElection<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ElectionSeed<'_> {
    type Value = RawElection<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an election object with \"proposals\" and \"ballots\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let path = self.path;
        // `Some(None)`: given as null.
        let mut currency: Option<Option<String>> = None;
        let mut config = None;
        let mut services = None;
        let mut proposals = None;
        let mut ballots: Option<RawBallots<'de>> = None;
        let mut withheld: Option<Option<Withheld>> = None;
        let mut note: Option<Option<String>> = None;
        // When the ballots are counted as they are read: the paper, and the count,
        // kept until the end because `currency` (which the explanations need) may
        // come after the ballots.
        let streamed_paper = OnceCell::new();
        let mut streamed: Option<Count<'_>> = None;
        while let Some(key) = map.next_key_seed(StrSeed)? {
            match &*key {
                "currency" => {
                    once(&currency, "currency")?;
                    currency = Some(path.within(Segment::Key("currency"), || map.next_value_seed(OptionSeed(CurrencySeed)))?);
                }
                // `null` is the same as leaving the field out: the defaults, no services.
                // Either way the value is known from here on, so ballots can stream.
                "config" => {
                    once(&config, "config")?;
                    let read = path.within(Segment::Key("config"), || map.next_value_seed(OptionSeed(ConfigSeed { path })))?;
                    config = Some(read.unwrap_or_default());
                }
                "services" => {
                    once(&services, "services")?;
                    let seed = ListSeed { path, what: "a list of services", element: || ServiceSeed { path } };
                    let read = path.within(Segment::Key("services"), || map.next_value_seed(OptionSeed(seed)))?;
                    services = Some(read.unwrap_or_default());
                }
                "proposals" => {
                    once(&proposals, "proposals")?;
                    let seed = ListSeed { path, what: "a list of proposals", element: || ProposalSeed { path } };
                    proposals = Some(path.within(Segment::Key("proposals"), || map.next_value_seed(seed))?);
                }
                "ballots" => {
                    once(&ballots, "ballots")?;
                    let mut raw = RawBallots::default();
                    match (self.count, &config, &services, &proposals) {
                        (true, Some(config), Some(services), Some(proposals)) => {
                            let paper = BallotPaper::new(config.clone(), services.clone(), proposals.clone())
                                .map_err(|e| path.fail::<A::Error>(e))?;
                            let mut count = Count::new(streamed_paper.get_or_init(|| paper));
                            let seed = BallotsSeed { path, raw: &mut raw, count: Some(&mut count) };
                            path.within(Segment::Key("ballots"), || map.next_value_seed(seed))?;
                            streamed = Some(count);
                        }
                        _ => {
                            let seed = BallotsSeed { path, raw: &mut raw, count: None };
                            path.within(Segment::Key("ballots"), || map.next_value_seed(seed))?;
                        }
                    }
                    ballots = Some(raw);
                }
                "withheld" => {
                    once(&withheld, "withheld")?;
                    withheld = Some(path.within(Segment::Key("withheld"), || map.next_value_seed(OptionSeed(Plain::<Withheld>::new())))?);
                }
                "note" => {
                    once(&note, "note")?;
                    note = Some(path.within(Segment::Key("note"), || map.next_value_seed(OptionSeed(Plain::<String>::new())))?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let currency = currency.flatten();
        let withheld = withheld.flatten();
        // Ballots counted while they were read: add the withheld sums (wherever the block
        // came in the document) before the result is made.
        if let (Some(count), Some(block)) = (streamed.as_mut(), withheld.as_ref()) {
            count.add_withheld(block).map_err(|e| path.fail::<A::Error>(e))?;
        }
        let proposals = proposals.ok_or_else(|| de::Error::missing_field("proposals"))?;
        let ballots = ballots.ok_or_else(|| de::Error::missing_field("ballots"))?;
        Ok(RawElection {
            counted: streamed.map(|count| count.result_in(currency.as_deref())),
            currency,
            config: config.unwrap_or_default(),
            services: services.unwrap_or_default(),
            proposals,
            ballots,
            withheld,
            note: note.flatten(),
        })
    }
}

fn once<T, E: de::Error>(slot: &Option<T>, field: &'static str) -> Result<(), E> {
    match slot {
        Some(_) => Err(E::duplicate_field(field)),
        None => Ok(()),
    }
}

/// A JSON array whose elements are read by the seed `element()`, each
/// under its index in the path.
struct ListSeed<'a, F> {
    path: &'a Path,
    what: &'static str,
    element: F,
}

impl<'de, F, S> DeserializeSeed<'de> for ListSeed<'_, F>
where
    F: Fn() -> S,
    S: DeserializeSeed<'de>,
{
    type Value = Vec<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F, S> Visitor<'de> for ListSeed<'_, F>
where
    F: Fn() -> S,
    S: DeserializeSeed<'de>,
{
    type Value = Vec<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.what)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            let next = self.path.within(Segment::Index(out.len()), || seq.next_element_seed((self.element)()))?;
            match next {
                Some(value) => out.push(value),
                None => return Ok(out),
            }
        }
    }
}

/// A string, borrowed from the input when it has no escapes.
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(StrVisitor("a string"))
    }
}

struct StrVisitor(&'static str);

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// `null` or absent means `None`.
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// The document's `currency`: a string of the form [`money::is_currency_code`] checks.
struct CurrencySeed;

impl<'de> DeserializeSeed<'de> for CurrencySeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        let code = deserializer.deserialize_str(StrVisitor("a currency code (a string)"))?;
        if money::is_currency_code(&code) { Ok(code.into_owned()) } else { Err(de::Error::custom(money::currency_message(&code))) }
    }
}

/// Anything with a plain `Deserialize`, as a seed.
struct Plain<T>(PhantomData<T>);

impl<T> Plain<T> {
    fn new() -> Self {
        Plain(PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Plain<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize(deserializer)
    }
}

/// A whole number >= 0 that fits in `T`, with messages that say what is wrong
/// ("must be a whole number >= 0, got -5"). `80000.0` is accepted as 80000:
/// spreadsheets write whole numbers that way.
struct Whole<T>(PhantomData<T>);

impl<T> Whole<T> {
    fn new() -> Self {
        Whole(PhantomData)
    }
}

impl<'de, T: TryFrom<u64>> DeserializeSeed<'de> for Whole<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_u64(self)
    }
}

impl<'de, T: TryFrom<u64>> Visitor<'de> for Whole<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number >= 0")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("is too large: {v} (at most {})", Self::max())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!("must be a whole number >= 0, got {v}"))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // 2^53: beyond it a float no longer holds every whole number exactly.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        // serde_json hands over an integer literal too big for u64 as a float, so
        // the literal's digits are lost: never echo the float (18446744073709551616
        // would print as 18446744073709552000), say what the limit is.
        let whole = v.is_finite() && v.fract() == 0.0;
        if whole && (0.0..=EXACT).contains(&v) {
            self.visit_u64(v as u64)
        } else if whole && v > EXACT && v >= Self::max() as f64 {
            Err(E::custom(format!("is too large (at most {})", Self::max())))
        } else if whole && v > EXACT {
            Err(E::custom(format!(
                "must be written as a whole number without a decimal point or exponent \
                 when above {EXACT}"
            )))
        } else if whole && v < -EXACT {
            Err(E::custom("must be a whole number >= 0, got a negative number"))
        } else if v < 0.0 {
            Err(E::custom(format!("must be a whole number >= 0, got {v}")))
        } else {
            Err(E::custom(format!("must be a whole number, got {v}")))
        }
    }
}

impl<T> Whole<T> {
    /// The largest value `T` holds: the fields read this way are u32 or u64.
    fn max() -> u64 {
        if std::mem::size_of::<T>() == 4 { u64::from(u32::MAX) } else { u64::MAX }
    }
}

/// Reads a map's keys and hands each known one to `field`, which reads its
/// value under that key in the path. Unknown keys are skipped; repeated known
/// keys are an error.
fn read_fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    path: &Path,
    known: &'static [&'static str],
    mut field: impl FnMut(&'static str, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut seen = 0u32;
    while let Some(key) = map.next_key_seed(StrSeed)? {
        match known.iter().position(|k| *k == key) {
            Some(i) => {
                if seen & (1 << i) != 0 {
                    return Err(de::Error::duplicate_field(known[i]));
                }
                seen |= 1 << i;
                path.within(Segment::Key(known[i]), || field(known[i], map))?;
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

struct ConfigSeed<'a> {
    path: &'a Path,
}

impl<'de> DeserializeSeed<'de> for ConfigSeed<'_> {
    type Value = Config;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Config, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ConfigSeed<'_> {
    type Value = Config;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a config object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Config, A::Error> {
        const FIELDS: &[&str] = &[
            "rank_depth",
            "minority_share_percent",
            "max_weight",
            "min_group",
            "protect_threshold_percent",
            "savings_target",
            "development_budget",
        ];
        let mut config = Config::default();
        read_fields(&mut map, self.path, FIELDS, |key, map| {
            // A setting given as `null` keeps its default, as if it were left out.
            let setting = match key {
                "rank_depth" => &mut config.rank_depth,
                "minority_share_percent" => &mut config.minority_share_percent,
                "max_weight" => &mut config.max_weight,
                "min_group" => &mut config.min_group,
                "protect_threshold_percent" => &mut config.protect_threshold_percent,
                // `null` here means no target (or no budget), which is also the default.
                "savings_target" => {
                    config.savings_target = map.next_value_seed(OptionSeed(Whole::new()))?;
                    return Ok(());
                }
                _ => {
                    config.development_budget = map.next_value_seed(OptionSeed(Whole::new()))?;
                    return Ok(());
                }
            };
            if let Some(value) = map.next_value_seed(OptionSeed(Whole::new()))? {
                *setting = value;
            }
            Ok(())
        })?;
        Ok(config)
    }
}

struct ServiceSeed<'a> {
    path: &'a Path,
}

impl<'de> DeserializeSeed<'de> for ServiceSeed<'_> {
    type Value = Service;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Service, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ServiceSeed<'_> {
    type Value = Service;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a service object with an \"id\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Service, A::Error> {
        let mut id = None;
        let mut name = None;
        read_fields(&mut map, self.path, &["id", "name"], |key, map| {
            match key {
                "id" => id = Some(map.next_value::<String>()?),
                _ => name = map.next_value_seed(OptionSeed(Plain::<String>::new()))?,
            }
            Ok(())
        })?;
        Ok(Service { id: id.ok_or_else(|| de::Error::missing_field("id"))?, name })
    }
}

struct ProposalSeed<'a> {
    path: &'a Path,
}

impl<'de> DeserializeSeed<'de> for ProposalSeed<'_> {
    type Value = Proposal;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Proposal, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ProposalSeed<'_> {
    type Value = Proposal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a proposal object with \"id\", \"kind\" and \"amount\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Proposal, A::Error> {
        let mut id = None;
        let mut kind = None;
        let mut amount = None;
        let mut service = None;
        let mut title = None;
        read_fields(&mut map, self.path, &["id", "kind", "amount", "service", "title"], |key, map| {
            match key {
                "id" => id = Some(map.next_value::<String>()?),
                "kind" => kind = Some(map.next_value::<ProposalKind>()?),
                "amount" => amount = Some(map.next_value_seed(Whole::<u64>::new())?),
                "service" => service = map.next_value_seed(OptionSeed(Plain::<String>::new()))?,
                _ => title = map.next_value_seed(OptionSeed(Plain::<String>::new()))?,
            }
            Ok(())
        })?;
        Ok(Proposal {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            kind: kind.ok_or_else(|| de::Error::missing_field("kind"))?,
            amount: amount.ok_or_else(|| de::Error::missing_field("amount"))?,
            service,
            title,
        })
    }
}

/// The `ballots` array. Without `count`, every ballot is appended to
/// [`RawBallots`]; with it, each ballot is counted as soon as it is read and
/// the buffer reused.
struct BallotsSeed<'a, 'r, 'de, 'c, 'p> {
    path: &'a Path,
    raw: &'r mut RawBallots<'de>,
    count: Option<&'c mut Count<'p>>,
}

impl<'de> DeserializeSeed<'de> for BallotsSeed<'_, '_, 'de, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BallotsSeed<'_, '_, 'de, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of ballots")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let BallotsSeed { path, raw, mut count } = self;
        for index in 0.. {
            let more = path.within(Segment::Index(index), || seq.next_element_seed(BallotSeed { path, raw: &mut *raw }))?;
            if more.is_none() {
                break;
            }
            if let Some(count) = count.as_deref_mut() {
                if let Some(ballot) = raw.iter().next() {
                    count
                        .add_ids(ballot.want, ballot.dont_want, ballot.uses, ballot.channel, ballot.area)
                        .map_err(|error| path.fail::<A::Error>(TallyError::Ballot { index, error }))?;
                }
                raw.clear();
            }
        }
        Ok(())
    }
}

struct BallotSeed<'a, 'r, 'de> {
    path: &'a Path,
    raw: &'r mut RawBallots<'de>,
}

impl<'de> DeserializeSeed<'de> for BallotSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BallotSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a ballot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let BallotSeed { path, raw } = self;
        let empty = raw.ids.len()..raw.ids.len();
        let mut ballot = RawBallot { want: empty.clone(), dont_want: empty.clone(), uses: empty, channel: None, area: None };
        read_fields(&mut map, path, &["want", "dont_want", "uses", "channel", "area"], |key, map| {
            match key {
                "want" | "dont_want" | "uses" => {
                    let what = if key == "uses" { "a list of service ids" } else { "a list of proposal ids" };
                    let start = raw.ids.len();
                    map.next_value_seed(OptionSeed(IdListSeed { path, what, ids: &mut raw.ids }))?;
                    let range = start..raw.ids.len();
                    match key {
                        "want" => ballot.want = range,
                        "dont_want" => ballot.dont_want = range,
                        _ => ballot.uses = range,
                    }
                }
                "channel" => ballot.channel = map.next_value_seed(OptionSeed(Plain::<Channel>::new()))?,
                _ => ballot.area = map.next_value_seed(OptionSeed(StrSeed))?,
            }
            Ok(())
        })?;
        raw.ballots.push(ballot);
        Ok(())
    }
}

/// A list of ids, appended to the flat id list.
struct IdListSeed<'a, 'r, 'de> {
    path: &'a Path,
    what: &'static str,
    ids: &'r mut Vec<Cow<'de, str>>,
}

impl<'de> DeserializeSeed<'de> for IdListSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for IdListSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.what)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let start = self.ids.len();
        loop {
            let next = self.path.within(Segment::Index(self.ids.len() - start), || seq.next_element_seed(IdSeed))?;
            match next {
                Some(id) => self.ids.push(id),
                None => return Ok(()),
            }
        }
    }
}

struct IdSeed;

impl<'de> DeserializeSeed<'de> for IdSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(StrVisitor("an id (a string)"))
    }
}

// Plain `Deserialize` for the model types, so that they also work with
// `serde_json::from_str` and inside the server's own request types. Errors
// from these do not carry the path; `exchange::parse` does.

impl<'de> Deserialize<'de> for Election {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let path = Path::default();
        ElectionSeed { path: &path, count: false }.deserialize(deserializer).map(RawElection::into_election)
    }
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ConfigSeed { path: &Path::default() }.deserialize(deserializer)
    }
}

impl<'de> Deserialize<'de> for Service {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ServiceSeed { path: &Path::default() }.deserialize(deserializer)
    }
}

impl<'de> Deserialize<'de> for Proposal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ProposalSeed { path: &Path::default() }.deserialize(deserializer)
    }
}

impl<'de> Deserialize<'de> for Ballot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut raw = RawBallots::default();
        BallotSeed { path: &Path::default(), raw: &mut raw }.deserialize(deserializer)?;
        Ok(raw.into_owned().pop().unwrap_or_default())
    }
}
