// Money and date helpers. Money is always a whole number of minor units (pence, cents).

const formatters = new Map();

/** A currency formatter; `whole` leaves out the minor units (for amounts in whole pounds). */
function formatter(currency, whole = false) {
  const code = currency || 'GBP';
  const key = `${code}:${whole}`;
  if (!formatters.has(key)) {
    const opts = whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {};
    let f;
    try {
      f = new Intl.NumberFormat('en-GB', { style: 'currency', currency: code, ...opts });
    } catch {
      f = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP', ...opts });
    }
    formatters.set(key, f);
  }
  return formatters.get(key);
}

/** How many minor units make one major unit (100 for GBP, 1 for JPY). */
export function minorPerMajor(currency) {
  const digits = formatter(currency).resolvedOptions().maximumFractionDigits;
  return 10 ** digits;
}

/** 80000, "GBP" → "£800"; 80050 → "£800.50" (pence only when there are some). */
export function formatMoney(minor, currency) {
  if (minor === null || minor === undefined || Number.isNaN(Number(minor))) return '';
  const n = Number(minor);
  const factor = minorPerMajor(currency);
  return formatter(currency, n % factor === 0).format(n / factor);
}

/** The currency symbol alone, e.g. "£", for labels such as "Amount (£)". */
export function currencySymbol(currency) {
  const part = formatter(currency).formatToParts(0).find((p) => p.type === 'currency');
  return part ? part.value : currency;
}

/**
 * Parse money typed in major units ("800", "£1,200.50", "1 200") into minor units.
 * Returns null for an empty string and NaN when the text is not a valid amount.
 */
export function parseMoney(text, currency) {
  const cleaned = String(text ?? '').replace(/[\s,£$€]/g, '');
  if (cleaned === '') return null;
  const factor = minorPerMajor(currency);
  const digits = Math.round(Math.log10(factor));
  const re = digits > 0 ? new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`) : /^\d+$/;
  if (!re.test(cleaned)) return NaN;
  const [whole, frac = ''] = cleaned.split('.');
  return Number(whole) * factor + Number((frac + '0'.repeat(digits)).slice(0, digits) || 0);
}

/** Minor units → text for an input in major units ("800.00" → "800", "800.50"). */
export function moneyInputValue(minor, currency) {
  if (minor === null || minor === undefined) return '';
  const factor = minorPerMajor(currency);
  const digits = Math.round(Math.log10(factor));
  const whole = Math.trunc(minor / factor);
  const frac = minor % factor;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(digits, '0')}`;
}

/** ISO date-time → "31 January 2027 at 23:59" in the reader's time zone. */
export function formatDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short' }).format(d);
}

/** A calendar day "2026-12-03" (UTC) → "3 December 2026". */
export function formatDay(isoDate) {
  if (!isoDate) return '';
  const d = new Date(`${isoDate}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return String(isoDate);
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

/**
 * The reader's time zone in words, for labels: "UK time" in Britain, else e.g. "Europe/Paris time".
 * A datetime-local input is read in this zone.
 */
export function localTimeZone() {
  let tz = '';
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { tz = ''; }
  if (tz === 'Europe/London') return 'UK time';
  if (/^(Etc\/)?(UTC|GMT)$/.test(tz)) return 'UTC';
  return tz ? `${tz.replace(/_/g, ' ')} time` : 'local time';
}

/** A score such as 63.333333 → "63.3"; whole numbers stay whole. */
export function formatScore(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value ?? '');
  const rounded = Math.round(n * 10) / 10;
  return new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }).format(rounded).replace('-', '−');
}

/** Replace {name} placeholders in a text with values. */
export function fill(template, values = {}) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

/** Pick the form for `n` from {one, other} ("1 person", "2 people"). */
export function plural(n, forms) {
  if (typeof forms === 'string') return forms;
  return Number(n) === 1 ? forms.one : forms.other;
}

/** The rules' fingerprint as people read it: its first 12 hex digits in groups of four ("3f9a 1c07 b2e4"), as the public record shows it. */
export function shortFingerprint(fingerprint) {
  const head = String(fingerprint || '').slice(0, 12);
  return (head.match(/.{1,4}/g) || []).join(' ');
}
