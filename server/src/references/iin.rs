//! The individual identification number (ИИН / ЖСН): the key under which the state register,
//! the reference store and the audit log know a person.
//!
//! Layout (Government Decree of the Republic of Kazakhstan No. 565 of 11 June 2003 and the
//! rules for forming identification numbers that followed it):
//!
//! | digits | meaning |
//! | --- | --- |
//! | 1–6 | birth date `YYMMDD` |
//! | 7 | century and sex: 1/2 = 19th century male/female, 3/4 = 20th, 5/6 = 21st |
//! | 8–11 | registration serial |
//! | 12 | check digit |
//!
//! Check digit: `Σ dᵢ·i mod 11` over the first 11 digits with weights 1..11; if that is 10,
//! again with weights 3,4,5,6,7,8,9,10,11,1,2; if that is 10 too, no IIN is issued with those
//! 11 digits, so the number is invalid.
//!
//! A 7th digit of 0 (or 7–9) is rejected: the published rules define only 1–6, for citizens and
//! foreigners alike, and every public validator we checked rejects 0.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// First and second weight vectors of the check digit.
const WEIGHTS_1: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const WEIGHTS_2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// A validated IIN. Deliberately opaque when printed: `Debug` and `Display` show `Iin(****)`,
/// so an IIN cannot leak into a log line by accident; [`Iin::as_str`] is the explicit way out.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iin([u8; 12]);

/// Sex as encoded in the 7th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// Why a string is not an IIN. The input itself is never part of the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IinReason {
    /// Not exactly 12 characters.
    Length,
    /// A character other than an ASCII digit.
    NonDigit,
    /// 7th digit outside 1–6.
    CenturyCode,
    /// Digits 1–6 are not a calendar date (month 1–12, day valid for the month and year).
    BirthDate,
    /// Both weighted sums give 10: no IIN is ever issued with these first 11 digits.
    Unassignable,
    /// The 12th digit does not match the computed check digit.
    CheckDigit,
}

impl IinReason {
    /// Stable machine-readable reason, reported beside the code `invalid_iin`.
    pub fn as_str(self) -> &'static str {
        match self {
            IinReason::Length => "length",
            IinReason::NonDigit => "non_digit",
            IinReason::CenturyCode => "century_code",
            IinReason::BirthDate => "birth_date",
            IinReason::Unassignable => "unassignable",
            IinReason::CheckDigit => "check_digit",
        }
    }
}

/// An IIN failed validation (`invalid_iin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid IIN ({})", .reason.as_str())]
pub struct IinError {
    pub reason: IinReason,
}

impl IinError {
    /// Stable error code.
    pub const CODE: &'static str = "invalid_iin";

    pub fn code(&self) -> &'static str {
        Self::CODE
    }
}

fn fail(reason: IinReason) -> IinError {
    IinError { reason }
}

impl Iin {
    /// Validates format, century code, birth date and check digit. No trimming: callers decide
    /// what to do about spaces and dashes a user typed.
    pub fn parse(s: &str) -> Result<Iin, IinError> {
        let bytes = s.as_bytes();
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(fail(IinReason::NonDigit));
        }
        let digits: [u8; 12] = bytes.try_into().map_err(|_| fail(IinReason::Length))?;
        let d = |i: usize| u32::from(digits[i] - b'0');

        let century_base = match d(6) {
            1 | 2 => 1800,
            3 | 4 => 1900,
            5 | 6 => 2000,
            _ => return Err(fail(IinReason::CenturyCode)),
        };
        let year = century_base + d(0) * 10 + d(1);
        let month = d(2) * 10 + d(3);
        let day = d(4) * 10 + d(5);
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(fail(IinReason::BirthDate));
        }

        let mut first11 = [0u8; 11];
        for (o, b) in first11.iter_mut().zip(&digits) {
            *o = b - b'0';
        }
        let expected = Iin::check_digit(&first11).ok_or(fail(IinReason::Unassignable))?;
        if u32::from(expected) != d(11) {
            return Err(fail(IinReason::CheckDigit));
        }
        Ok(Iin(digits))
    }

    /// The check digit for the first 11 digits (each 0–9), or `None` when both weighted sums
    /// give 10 and no IIN can end these digits.
    pub fn check_digit(first11: &[u8; 11]) -> Option<u8> {
        let sum = |w: &[u32; 11]| -> u32 {
            first11.iter().zip(w).map(|(&d, &w)| u32::from(d) * w).sum::<u32>() % 11
        };
        [sum(&WEIGHTS_1), sum(&WEIGHTS_2)].into_iter().find(|&c| c < 10).map(|c| c as u8)
    }

    /// The 12 digits. Explicit on purpose: every call site is a place an IIN leaves the type.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).expect("IIN digits are ASCII")
    }

    /// Birth date as (year, month, day), from digits 1–7.
    pub fn birth_date(&self) -> (u32, u32, u32) {
        let d = |i: usize| u32::from(self.0[i] - b'0');
        let base = match d(6) {
            1 | 2 => 1800,
            3 | 4 => 1900,
            _ => 2000,
        };
        (base + d(0) * 10 + d(1), d(2) * 10 + d(3), d(4) * 10 + d(5))
    }

    /// Sex from the 7th digit (odd = male).
    pub fn sex(&self) -> Sex {
        if (self.0[6] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// Hex HMAC-SHA256 of the digits under `key`: what audit events carry instead of the IIN.
    /// Keyed because a plain hash of a number with ~10⁹ plausible values is reversed by
    /// enumeration in minutes; without the key, the hash reveals nothing. Keep the key secret
    /// (32+ random bytes) and stable for as long as audit records must be correlated.
    pub fn keyed_hash(&self, key: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(&self.0);
        hex::encode(mac.finalize().into_bytes())
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Debug for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iin(****)")
    }
}

impl fmt::Display for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl std::str::FromStr for Iin {
    type Err = IinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Iin::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent check-digit computation, written out longhand so the tests do not just
    /// re-run the code under test.
    fn complete(first11: &str) -> Option<String> {
        let d: Vec<u32> = first11.bytes().map(|b| u32::from(b - b'0')).collect();
        let s1: u32 = (0..11).map(|i| d[i] * (i as u32 + 1)).sum::<u32>() % 11;
        let c = if s1 < 10 {
            s1
        } else {
            let w = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
            let s2: u32 = (0..11).map(|i| d[i] * w[i]).sum::<u32>() % 11;
            if s2 == 10 {
                return None;
            }
            s2
        };
        Some(format!("{first11}{c}"))
    }

    #[test]
    fn valid_iins_parse() {
        for first11 in ["85031530001", "92022940123", "00022960042", "19123110001"] {
            let iin = complete(first11).expect("assignable");
            let parsed = Iin::parse(&iin).unwrap_or_else(|e| panic!("{first11}: {e}"));
            assert_eq!(parsed.as_str(), iin);
        }
    }

    #[test]
    fn second_weights_are_used_when_first_sum_is_ten() {
        // Published example: first sum ≡ 10, second ≡ 2.
        let iin = Iin::parse("061211600012").unwrap();
        assert_eq!(iin.birth_date(), (2006, 12, 11));
        assert_eq!(iin.sex(), Sex::Female);
        assert_eq!(complete("06121160001").as_deref(), Some("061211600012"));
    }

    #[test]
    fn unassignable_prefix_is_rejected() {
        // Search the serials of one birth date for a prefix where both sums give 10.
        let prefix = (0..10_000)
            .map(|n| format!("8503153{n:04}"))
            .find(|p| complete(p).is_none())
            .expect("some serial is unassignable");
        for last in 0..10 {
            let e = Iin::parse(&format!("{prefix}{last}")).unwrap_err();
            assert_eq!(e.reason, IinReason::Unassignable);
        }
    }

    #[test]
    fn invalid_iins_are_rejected_with_reasons() {
        let good = complete("85031530001").unwrap();
        let cases: Vec<(String, IinReason)> = vec![
            (good[..11].to_string(), IinReason::Length),
            (format!("{good}0"), IinReason::Length),
            (String::new(), IinReason::Length),
            (format!("{}A", &good[..11]), IinReason::NonDigit),
            (format!(" {}", &good[..11]), IinReason::NonDigit),
            ("８５０３１５３０００１２".to_string(), IinReason::NonDigit),
            (complete("85131530001").unwrap(), IinReason::BirthDate),
            (complete("85003130001").unwrap(), IinReason::BirthDate),
            (complete("85043130001").unwrap(), IinReason::BirthDate),
            (complete("85023030001").unwrap(), IinReason::BirthDate),
            (complete("85030030001").unwrap(), IinReason::BirthDate),
            (complete("85031500001").unwrap(), IinReason::CenturyCode),
            (complete("85031570001").unwrap(), IinReason::CenturyCode),
        ];
        for (s, reason) in cases {
            let e = Iin::parse(&s).unwrap_err();
            assert_eq!(e.reason, reason, "case {s:?}");
            assert_eq!(e.code(), "invalid_iin");
        }
        let wrong = (good.as_bytes()[11] - b'0' + 1) % 10;
        let e = Iin::parse(&format!("{}{wrong}", &good[..11])).unwrap_err();
        assert_eq!(e.reason, IinReason::CheckDigit);
    }

    #[test]
    fn leap_days_follow_the_century() {
        // 29 Feb 2000 (code 5) exists; 29 Feb 1900 (code 3) does not; 29 Feb 1996 does.
        assert!(Iin::parse(&complete("00022950001").unwrap()).is_ok());
        let e = Iin::parse(&complete("00022930001").unwrap()).unwrap_err();
        assert_eq!(e.reason, IinReason::BirthDate);
        assert!(Iin::parse(&complete("96022940001").unwrap()).is_ok());
    }

    #[test]
    fn printing_hides_digits() {
        let iin = Iin::parse(&complete("85031530001").unwrap()).unwrap();
        assert_eq!(format!("{iin:?}"), "Iin(****)");
        assert_eq!(format!("{iin}"), "****");
        assert_eq!(format!("{:?}", Some(&iin)), "Some(Iin(****))");
    }

    #[test]
    fn keyed_hash_is_hmac_sha256() {
        let iin = Iin::parse(&complete("85031530001").unwrap()).unwrap();
        let h = iin.keyed_hash(b"k1");
        assert_eq!(h.len(), 64);
        assert_eq!(h, iin.keyed_hash(b"k1"));
        assert_ne!(h, iin.keyed_hash(b"k2"));
        assert!(!h.contains(iin.as_str()));
        // RFC 4231 test case 2 checks the primitive itself.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
