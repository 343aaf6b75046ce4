//! The drivers' side of a [`Value`]: reading any PostgreSQL column the store
//! uses (NUMERIC included), encoding a parameter for the type PostgreSQL
//! inferred, binding one for rusqlite, and `?N` placeholders as `$N`.

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{FromSql as PgFromSql, IsNull, ToSql as PgToSql, Type, to_sql_checked};

use super::{Value, ValueRef};

/// A column of any PostgreSQL type the store uses, read as a [`Value`].
pub(super) struct PgValue(pub(super) Value);

impl<'a> PgFromSql<'a> for PgValue {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        let value = match *ty {
            Type::INT8 => Value::Integer(<i64 as PgFromSql>::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i64::from(<i32 as PgFromSql>::from_sql(ty, raw)?)),
            Type::INT2 => Value::Integer(i64::from(<i16 as PgFromSql>::from_sql(ty, raw)?)),
            Type::BOOL => Value::Integer(i64::from(<bool as PgFromSql>::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(<f64 as PgFromSql>::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(<f32 as PgFromSql>::from_sql(ty, raw)?)),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => {
                // Binary JSONB: a version byte, then the text.
                let text = raw.get(1..).ok_or("empty jsonb")?;
                Value::Text(std::str::from_utf8(text)?.to_owned())
            }
            _ => Value::Text(<&str as PgFromSql>::from_sql(ty, raw)?.to_owned()),
        };
        Ok(PgValue(value))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::FLOAT8
                | Type::FLOAT4
                | Type::NUMERIC
                | Type::BYTEA
                | Type::JSONB
        ) || <&str as PgFromSql>::accepts(ty)
    }
}

/// A NUMERIC (what `SUM` of integers gives) in binary form: whole numbers
/// become integers, anything with a fraction a real.
pub(super) fn numeric(raw: &[u8]) -> std::result::Result<Value, Box<dyn StdError + Sync + Send>> {
    let word = |i: usize| -> std::result::Result<i64, Box<dyn StdError + Sync + Send>> {
        let bytes = raw.get(i * 2..i * 2 + 2).ok_or("short numeric")?;
        Ok(i64::from(i16::from_be_bytes([bytes[0], bytes[1]])))
    };
    let ndigits = usize::try_from(word(0)?)?;
    let weight = word(1)?;
    let sign = word(2)? & 0xFFFF;
    let dscale = word(3)?;
    if sign == 0xC000 {
        return Err("NaN is not a number the store keeps".into());
    }
    let mut value: f64 = 0.0;
    let mut integer: i64 = 0;
    let mut exact = dscale == 0;
    for i in 0..ndigits {
        let digit = word(4 + i)?;
        let power = weight - i64::try_from(i)?;
        value += digit as f64 * 10_000f64.powi(i32::try_from(power)?);
        if power >= 0 {
            integer = integer
                .checked_mul(10_000)
                .and_then(|n| n.checked_add(digit))
                .ok_or("numeric out of range")?;
        } else if digit != 0 {
            exact = false;
        }
    }
    if exact {
        let last_power = weight - i64::try_from(ndigits)? + 1;
        for _ in 0..last_power.max(0) {
            integer = integer.checked_mul(10_000).ok_or("numeric out of range")?;
        }
        let negative = sign == 0x4000;
        return Ok(Value::Integer(if negative { -integer } else { integer }));
    }
    Ok(Value::Real(if sign == 0x4000 { -value } else { value }))
}

/// A parameter encoded for the type PostgreSQL inferred for it.
#[derive(Debug)]
pub(super) struct PgParam<'a>(pub(super) ValueRef<'a>);

impl PgToSql for PgParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        fn put<T: PgToSql>(
            value: T,
            ty: &Type,
            out: &mut BytesMut,
        ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
            PgToSql::to_sql(&value, ty, out)
        }
        match (self.0, ty) {
            (ValueRef::Null, _) => Ok(IsNull::Yes),
            (ValueRef::Integer(n), &Type::INT8) => put(n, ty, out),
            (ValueRef::Integer(n), &Type::INT4) => put(i32::try_from(n)?, ty, out),
            (ValueRef::Integer(n), &Type::INT2) => put(i16::try_from(n)?, ty, out),
            (ValueRef::Integer(n), &Type::BOOL) => put(n != 0, ty, out),
            #[allow(clippy::cast_precision_loss)]
            (ValueRef::Integer(n), &Type::FLOAT8) => put(n as f64, ty, out),
            (ValueRef::Integer(n), &Type::NUMERIC) => {
                encode_numeric(n, out);
                Ok(IsNull::No)
            }
            (ValueRef::Integer(n), _) => put(n.to_string().as_str(), ty, out),
            (ValueRef::Real(x), &Type::FLOAT8) => put(x, ty, out),
            #[allow(clippy::cast_possible_truncation)]
            (ValueRef::Real(x), &Type::FLOAT4) => put(x as f32, ty, out),
            (ValueRef::Real(x), _) => put(x.to_string().as_str(), ty, out),
            (ValueRef::Text(s), &Type::BYTEA) => put(s.as_bytes(), ty, out),
            (ValueRef::Text(s), &Type::JSONB) => {
                out.extend_from_slice(&[1]);
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            (ValueRef::Text(s), &Type::INT8) => put(s.parse::<i64>()?, ty, out),
            (ValueRef::Text(s), _) => put(s, ty, out),
            (ValueRef::Blob(b), _) => put(b, ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

pub(super) fn encode_numeric(n: i64, out: &mut BytesMut) {
    let negative = n < 0;
    let mut rest = n.unsigned_abs();
    let mut digits = Vec::new();
    while rest > 0 {
        digits.push(u16::try_from(rest % 10_000).unwrap_or(0));
        rest /= 10_000;
    }
    digits.reverse();
    let ndigits = u16::try_from(digits.len()).unwrap_or(0);
    let weight = i16::try_from(digits.len()).unwrap_or(1) - 1;
    out.extend_from_slice(&ndigits.to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&(if negative { 0x4000u16 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    for digit in digits {
        out.extend_from_slice(&digit.to_be_bytes());
    }
}

/// A binding of a [`ValueRef`] for rusqlite.
pub(super) struct SqliteParam<'a>(pub(super) ValueRef<'a>);

impl rusqlite::ToSql for SqliteParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef as R};
        Ok(ToSqlOutput::Borrowed(match self.0 {
            ValueRef::Null => R::Null,
            ValueRef::Integer(n) => R::Integer(n),
            ValueRef::Real(x) => R::Real(x),
            ValueRef::Text(s) => R::Text(s.as_bytes()),
            ValueRef::Blob(b) => R::Blob(b),
        }))
    }
}

/// `?N` and `?` placeholders as PostgreSQL's `$N`, outside quotes and comments.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut largest = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut number = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    number.push(*d);
                    chars.next();
                }
                // As SQLite numbers them: a bare `?` is one more than the
                // largest number so far.
                let n = number.parse::<usize>().unwrap_or(largest + 1);
                largest = largest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// A parameter type left for the server to infer (OID 0 on the wire).
pub(super) fn unspecified() -> Type {
    Type::new(
        "unspecified".into(),
        0,
        postgres::types::Kind::Pseudo,
        "pg_catalog".into(),
    )
}
