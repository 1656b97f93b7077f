//! Unit conversion: `convert_angle`, `convert_energy`, `convert_force`, `convert_length`,
//! `convert_mass`, `convert_speed`, `convert_temperature` and `convert_volume`.
//!
//! Kusto converts with the UnitsNet library: a value goes to the quantity's base unit and from
//! there to the target unit, each step the arithmetic UnitsNet's unit definitions write
//! (`x*0.3048`, `(x/72.27)*2.54e-2`, `Math.Asin(x)*180/Math.PI`), evaluated left to right as C#
//! does. The tables below hold those definitions, for the units the Kusto documentation lists
//! for each function, as a short program of [`Op`]s per direction; a prefixed unit
//! (`Kilometer`, `DecausGallon`, `GigabritishThermalUnit`) is its unit's program followed by a
//! multiplication (to the base) or division (from the base) by the prefix's power of ten, as
//! UnitsNet's generated code does. Every documented example is exact with these constants
//! except `convert_temperature(1.2, 'Kelvin', 'DegreeCelsius')`, which the documentation shows
//! as `0.00439319055464031`; we return the physical answer, -271.95 (README, "Semantics
//! choices").
//!
//! Unit names are matched exactly (as .NET's `Enum.TryParse` does by default); an unknown unit
//! or a null value is null.

use std::collections::HashMap;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;

use super::Param::{Real, Str};
use super::{Call, Def, Out, f, reals};

/// The conversion functions.
pub static FUNCTIONS: &[Def] = &[
    f("convert_angle", &[Real, Str, Str], Out::Real, angle),
    f("convert_energy", &[Real, Str, Str], Out::Real, energy),
    f("convert_force", &[Real, Str, Str], Out::Real, force),
    f("convert_length", &[Real, Str, Str], Out::Real, length),
    f("convert_mass", &[Real, Str, Str], Out::Real, mass),
    f("convert_speed", &[Real, Str, Str], Out::Real, speed),
    f("convert_temperature", &[Real, Str, Str], Out::Real, temperature),
    f("convert_volume", &[Real, Str, Str], Out::Real, volume),
];

/// One arithmetic step of a conversion.
#[derive(Clone, Copy, Debug)]
enum Op {
    Mul(f64),
    Div(f64),
    Add(f64),
    Sub(f64),
    Asin,
    Sin,
}

fn run(ops: &[Op], mut x: f64) -> f64 {
    for op in ops {
        x = match *op {
            Op::Mul(k) => x * k,
            Op::Div(k) => x / k,
            Op::Add(k) => x + k,
            Op::Sub(k) => x - k,
            Op::Asin => x.asin(),
            Op::Sin => x.sin(),
        };
    }
    x
}

/// A unit: its name, its programs to and from the base unit, and the SI prefixes it takes.
#[derive(Debug)]
struct Unit {
    name: &'static str,
    to_base: &'static [Op],
    from_base: &'static [Op],
    prefixes: &'static [&'static str],
}

use Op::{Add, Asin, Div, Mul, Sin, Sub};

const fn u(name: &'static str, to_base: &'static [Op], from_base: &'static [Op]) -> Unit {
    Unit { name, to_base, from_base, prefixes: &[] }
}

impl Unit {
    const fn with(self, prefixes: &'static [&'static str]) -> Self {
        Self { prefixes, ..self }
    }
}

const NONE: &[Op] = &[];

fn prefix_power(prefix: &str) -> Option<f64> {
    Some(match prefix {
        "Nano" => 1e-9,
        "Micro" => 1e-6,
        "Milli" => 1e-3,
        "Centi" => 1e-2,
        "Deci" => 1e-1,
        "Deca" => 1e1,
        "Hecto" => 1e2,
        "Kilo" => 1e3,
        "Mega" => 1e6,
        "Giga" => 1e9,
        "Tera" => 1e12,
        _ => return None,
    })
}

/// A unit found by name, with its prefix's power of ten (1 without a prefix).
#[derive(Clone, Copy, Debug)]
struct Found {
    unit: &'static Unit,
    power: Option<f64>,
}

impl Found {
    fn to_base(self, x: f64) -> f64 {
        let v = run(self.unit.to_base, x);
        self.power.map_or(v, |p| v * p)
    }
    fn out_of_base(self, x: f64) -> f64 {
        let v = run(self.unit.from_base, x);
        self.power.map_or(v, |p| v / p)
    }
    fn same(self, other: Self) -> bool {
        std::ptr::eq(self.unit, other.unit) && self.power == other.power
    }

    /// `value` in this unit, converted to `to` (through the base unit unless they are the same).
    fn convert_to(self, to: Self, value: f64) -> f64 {
        if self.same(to) { value } else { to.out_of_base(self.to_base(value)) }
    }
}

/// The unit named `name` in `units`: an exact name, or a prefix the unit takes followed by the
/// unit's name with its first letter in lower case (`Kilo` + `meter`).
fn find(units: &'static [Unit], name: &str) -> Option<Found> {
    if let Some(unit) = units.iter().find(|u| u.name == name) {
        return Some(Found { unit, power: None });
    }
    units.iter().find_map(|unit| {
        unit.prefixes.iter().find_map(|&prefix| {
            let rest = name.strip_prefix(prefix)?;
            let mut chars = unit.name.chars();
            let first = chars.next()?;
            let matches = rest.starts_with(first.to_ascii_lowercase()) && &rest[1..] == chars.as_str();
            matches.then(|| Found { unit, power: prefix_power(prefix) })
        })
    })
}

/// `value` from unit `from` to unit `to`; `None` when either unit is unknown.
#[cfg(test)]
fn convert(units: &'static [Unit], value: f64, from: &str, to: &str) -> Option<f64> {
    Some(find(units, from)?.convert_to(find(units, to)?, value))
}

fn kernel(c: &Call<'_>, units: &'static [Unit]) -> Result<ArrayRef> {
    let values = c.f64(0)?;
    let (from, to) = (c.str(1)?, c.str(2)?);
    let mut cache: HashMap<(&str, &str), Option<(Found, Found)>> = HashMap::new();
    Ok(reals((0..c.rows).map(|i| {
        let value = values.get(i)?;
        let key = (from.text(i), to.text(i));
        let pair = *cache.entry(key).or_insert_with(|| Some((find(units, key.0)?, find(units, key.1)?)));
        let (from, to) = pair?;
        Some(from.convert_to(to, value))
    })))
}

fn angle(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, ANGLE)
}
fn energy(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, ENERGY)
}
fn force(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, FORCE)
}
fn length(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, LENGTH)
}
fn mass(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, MASS)
}
fn speed(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, SPEED)
}
fn temperature(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, TEMPERATURE)
}
fn volume(c: &Call<'_>) -> Result<ArrayRef> {
    kernel(c, VOLUME)
}

const PI: f64 = std::f64::consts::PI;

/// Angles; base unit `Degree`.
static ANGLE: &[Unit] = &[
    u("Degree", NONE, NONE).with(&["Nano", "Micro", "Milli"]),
    u("Radian", &[Mul(180.0), Div(PI)], &[Div(180.0), Mul(PI)]).with(&["Nano", "Micro", "Milli", "Centi", "Deci"]),
    u("Arcminute", &[Div(60.0)], &[Mul(60.0)]),
    u("Arcsecond", &[Div(3600.0)], &[Mul(3600.0)]),
    u("Gradian", &[Mul(0.9)], &[Div(0.9)]),
    u("NatoMil", &[Mul(9.0), Div(160.0)], &[Mul(160.0), Div(9.0)]),
    u("Revolution", &[Mul(360.0)], &[Div(360.0)]),
    u("Tilt", &[Asin, Mul(180.0), Div(PI)], &[Div(180.0), Mul(PI), Sin]),
];

/// Energies; base unit `Joule`.
static ENERGY: &[Unit] = &[
    u("Joule", NONE, NONE).with(&["Milli", "Kilo", "Mega", "Giga"]),
    u("Calorie", &[Mul(4.184)], &[Div(4.184)]).with(&["Kilo", "Mega"]),
    u("BritishThermalUnit", &[Mul(1055.05585262)], &[Div(1055.05585262)]).with(&["Kilo", "Mega", "Giga"]),
    u("ElectronVolt", &[Mul(1.602176565e-19)], &[Div(1.602176565e-19)]).with(&["Kilo", "Mega", "Giga", "Tera"]),
    u("FootPound", &[Mul(1.355817948)], &[Div(1.355817948)]),
    u("Erg", &[Mul(1e-7)], &[Div(1e-7)]),
    u("WattHour", &[Mul(3600.0)], &[Div(3600.0)]).with(&["Kilo", "Mega", "Giga", "Tera"]),
    u("WattDay", &[Mul(24.0), Mul(3600.0)], &[Div(24.0 * 3600.0)]).with(&["Kilo", "Mega", "Giga", "Tera"]),
    u("ThermEc", &[Mul(1.05505585262e8)], &[Div(1.05505585262e8)]).with(&["Deca"]),
    u("ThermUs", &[Mul(1.054804e8)], &[Div(1.054804e8)]).with(&["Deca"]),
    u("ThermImperial", &[Mul(1.05505585257348e8)], &[Div(1.05505585257348e8)]).with(&["Deca"]),
    u("HorsepowerHour", &[Mul(2.6845195377e6)], &[Div(2.6845195377e6)]),
];

/// Forces; base unit `Newton`.
#[allow(clippy::excessive_precision)]
static FORCE: &[Unit] = &[
    u("Newton", NONE, NONE).with(&["Micro", "Milli", "Deca", "Kilo", "Mega"]),
    u("Dyn", &[Div(1e5)], &[Mul(1e5)]),
    u("KilogramForce", &[Mul(9.80665002864)], &[Div(9.80665002864)]),
    u("TonneForce", &[Mul(9.80665002864e3)], &[Div(9.80665002864e3)]),
    u("KiloPond", &[Mul(9.80665002864)], &[Div(9.80665002864)]),
    u("Poundal", &[Mul(0.13825502798973041652092282466083)], &[Div(0.13825502798973041652092282466083)]),
    u("PoundForce", &[Mul(4.4482216152605095551842641431421)], &[Div(4.4482216152605095551842641431421)])
        .with(&["Kilo"]),
    u("OunceForce", &[Mul(2.780138509537812e-1)], &[Div(2.780138509537812e-1)]),
    u("ShortTonForce", &[Mul(8.896443230521e3)], &[Div(8.896443230521e3)]),
];

/// Lengths; base unit `Meter`.
static LENGTH: &[Unit] = &[
    u("Meter", NONE, NONE).with(&["Nano", "Micro", "Milli", "Centi", "Deci", "Deca", "Hecto", "Kilo"]),
    u("Angstrom", &[Mul(1e-10)], &[Div(1e-10)]),
    u("AstronomicalUnit", &[Mul(1.4959787070e11)], &[Div(1.4959787070e11)]),
    u("Chain", &[Mul(20.1168)], &[Div(20.1168)]),
    u("DataMile", &[Mul(1828.8)], &[Div(1828.8)]),
    u("DtpPica", &[Div(236.220472441)], &[Mul(236.220472441)]),
    u("DtpPoint", &[Div(72.0), Mul(2.54e-2)], &[Div(2.54e-2), Mul(72.0)]),
    u("Fathom", &[Mul(1.8288)], &[Div(1.8288)]),
    u("Foot", &[Mul(0.3048)], &[Div(0.3048)]),
    u("Hand", &[Mul(1.016e-1)], &[Div(1.016e-1)]),
    u("Inch", &[Mul(2.54e-2)], &[Div(2.54e-2)]),
    u("LightYear", &[Mul(9.46073047258e15)], &[Div(9.46073047258e15)]).with(&["Kilo", "Mega"]),
    u("Microinch", &[Mul(2.54e-8)], &[Div(2.54e-8)]),
    u("Mil", &[Mul(2.54e-5)], &[Div(2.54e-5)]),
    u("Mile", &[Mul(1609.34)], &[Div(1609.34)]),
    u("NauticalMile", &[Mul(1852.0)], &[Div(1852.0)]),
    u("Parsec", &[Mul(3.08567758128e16)], &[Div(3.08567758128e16)]).with(&["Kilo", "Mega"]),
    u("PrinterPica", &[Div(237.106301584)], &[Mul(237.106301584)]),
    u("PrinterPoint", &[Div(72.27), Mul(2.54e-2)], &[Div(2.54e-2), Mul(72.27)]),
    u("Shackle", &[Mul(27.432)], &[Div(27.432)]),
    u("SolarRadius", &[Mul(6.95510000e8)], &[Div(6.95510000e8)]),
    u("Twip", &[Div(56692.913385826)], &[Mul(56692.913385826)]),
    u("UsSurveyFoot", &[Mul(1200.0), Div(3937.0)], &[Mul(3937.0), Div(1200.0)]),
    u("Yard", &[Mul(0.9144)], &[Div(0.9144)]),
];

/// Masses; base unit `Kilogram` (a prefixed `Gram`).
#[allow(clippy::excessive_precision)]
static MASS: &[Unit] = &[
    u("Gram", &[Div(1e3)], &[Mul(1e3)]).with(&["Nano", "Micro", "Milli", "Centi", "Deci", "Deca", "Hecto", "Kilo"]),
    u("Tonne", &[Mul(1e3)], &[Div(1e3)]).with(&["Kilo", "Mega"]),
    u("ShortTon", &[Mul(9.0718474e2)], &[Div(9.0718474e2)]),
    u("LongTon", &[Mul(1.0160469088e3)], &[Div(1.0160469088e3)]),
    u("Pound", &[Mul(0.45359237)], &[Div(0.45359237)]).with(&["Kilo", "Mega"]),
    u("Ounce", &[Mul(0.028349523125)], &[Div(0.028349523125)]),
    u("Slug", &[Div(6.852176556196105e-2)], &[Mul(6.852176556196105e-2)]),
    u("Stone", &[Div(0.1574731728702698)], &[Mul(0.1574731728702698)]),
    u("ShortHundredweight", &[Div(0.022046226218487758)], &[Mul(0.022046226218487758)]),
    u("LongHundredweight", &[Div(0.01968413055222121)], &[Mul(0.01968413055222121)]),
    u("Grain", &[Div(15432.358352941431)], &[Mul(15432.358352941431)]),
    u("SolarMass", &[Mul(1.98947e30)], &[Div(1.98947e30)]),
    u("EarthMass", &[Mul(5.9722e24)], &[Div(5.9722e24)]),
];

/// Speeds; base unit `MeterPerSecond`.
static SPEED: &[Unit] = &[
    u("MeterPerSecond", NONE, NONE).with(&["Nano", "Micro", "Milli", "Centi", "Deci", "Kilo"]),
    u("MeterPerMinute", &[Div(60.0)], &[Mul(60.0)]).with(&["Nano", "Micro", "Milli", "Centi", "Deci", "Kilo"]),
    u("MeterPerHour", &[Div(3600.0)], &[Mul(3600.0)]).with(&["Milli", "Centi", "Kilo"]),
    u("FootPerSecond", &[Mul(0.3048)], &[Div(0.3048)]),
    u("FootPerMinute", &[Mul(0.3048), Div(60.0)], &[Div(0.3048), Mul(60.0)]),
    u("FootPerHour", &[Mul(0.3048), Div(3600.0)], &[Div(0.3048), Mul(3600.0)]),
    u("UsSurveyFootPerSecond", &[Mul(1200.0), Div(3937.0)], &[Mul(3937.0), Div(1200.0)]),
    u("UsSurveyFootPerMinute", &[Mul(1200.0), Div(3937.0), Div(60.0)], &[Mul(3937.0), Div(1200.0), Mul(60.0)]),
    u("UsSurveyFootPerHour", &[Mul(1200.0), Div(3937.0), Div(3600.0)], &[Mul(3937.0), Div(1200.0), Mul(3600.0)]),
    u("InchPerSecond", &[Mul(2.54e-2)], &[Div(2.54e-2)]),
    u("InchPerMinute", &[Div(60.0), Mul(2.54e-2)], &[Div(2.54e-2), Mul(60.0)]),
    u("InchPerHour", &[Div(3600.0), Mul(2.54e-2)], &[Div(2.54e-2), Mul(3600.0)]),
    u("YardPerSecond", &[Mul(0.9144)], &[Div(0.9144)]),
    u("YardPerMinute", &[Mul(0.9144), Div(60.0)], &[Div(0.9144), Mul(60.0)]),
    u("YardPerHour", &[Mul(0.9144), Div(3600.0)], &[Div(0.9144), Mul(3600.0)]),
    u("Knot", &[Mul(0.514444)], &[Div(0.514444)]),
    u("MilePerHour", &[Mul(0.44704)], &[Div(0.44704)]),
];

/// 459.67 °R in kelvins, as UnitsNet folds `459.67*5/9`.
const FAHRENHEIT_ZERO: f64 = 459.67 * 5.0 / 9.0;
/// The Rømer scale's zero in kelvins, as UnitsNet folds `273.15 - 7.5*40d/21`.
const ROEMER_ZERO: f64 = 273.15 - 7.5 * 40.0 / 21.0;

/// Temperatures; base unit `Kelvin`.
static TEMPERATURE: &[Unit] = &[
    u("Kelvin", NONE, NONE),
    u("DegreeCelsius", &[Add(273.15)], &[Sub(273.15)]),
    u("MillidegreeCelsius", &[Div(1000.0), Add(273.15)], &[Sub(273.15), Mul(1000.0)]),
    u("DegreeDelisle", &[Mul(-2.0), Div(3.0), Add(373.15)], &[Sub(373.15), Mul(-3.0), Div(2.0)]),
    u("DegreeFahrenheit", &[Mul(5.0), Div(9.0), Add(FAHRENHEIT_ZERO)], &[Sub(FAHRENHEIT_ZERO), Mul(9.0), Div(5.0)]),
    u("DegreeNewton", &[Mul(100.0), Div(33.0), Add(273.15)], &[Sub(273.15), Mul(33.0), Div(100.0)]),
    u("DegreeRankine", &[Mul(5.0), Div(9.0)], &[Mul(9.0), Div(5.0)]),
    u("DegreeReaumur", &[Mul(5.0), Div(4.0), Add(273.15)], &[Sub(273.15), Mul(4.0), Div(5.0)]),
    u(
        "DegreeRoemer",
        &[Mul(40.0), Div(21.0), Add(273.15), Sub(7.5 * 40.0 / 21.0)],
        &[Sub(ROEMER_ZERO), Mul(21.0), Div(40.0)],
    ),
    u("SolarTemperature", &[Mul(5778.0)], &[Div(5778.0)]),
];

/// Volumes; base unit `CubicMeter`.
#[allow(clippy::excessive_precision)]
static VOLUME: &[Unit] = &[
    u("CubicMeter", NONE, NONE).with(&["Hecto", "Kilo"]),
    u("Liter", &[Div(1e3)], &[Mul(1e3)]).with(&["Micro", "Milli", "Centi", "Deci", "Deca", "Hecto", "Kilo", "Mega"]),
    u("AcreFoot", &[Div(0.000810714)], &[Mul(0.000810714)]),
    u("AuTablespoon", &[Mul(2e-5)], &[Div(2e-5)]),
    u("BoardFoot", &[Mul(2.3597372158e-3)], &[Div(2.3597372158e-3)]),
    u("CubicCentimeter", &[Div(1e6)], &[Mul(1e6)]),
    u("CubicDecimeter", &[Div(1e3)], &[Mul(1e3)]),
    u("CubicFoot", &[Mul(0.0283168)], &[Div(0.0283168)]).with(&["Hecto", "Kilo", "Mega"]),
    u("CubicHectometer", &[Mul(1e6)], &[Div(1e6)]),
    u("CubicInch", &[Mul(1.6387), Mul(1e-5)], &[Div(1.6387 * 1e-5)]),
    u("CubicKilometer", &[Mul(1e9)], &[Div(1e9)]),
    u("CubicMicrometer", &[Div(1e18)], &[Mul(1e18)]),
    u("CubicMile", &[Mul(4.16818182544058e9)], &[Div(4.16818182544058e9)]),
    u("CubicMillimeter", &[Div(1e9)], &[Mul(1e9)]),
    u("CubicYard", &[Mul(0.764554858)], &[Div(0.764554858)]),
    u("ImperialBeerBarrel", &[Mul(0.16365924)], &[Div(0.16365924)]),
    u("ImperialGallon", &[Mul(0.00454609000000181429905810072407)], &[Div(0.00454609000000181429905810072407)])
        .with(&["Kilo", "Mega"]),
    u("ImperialOunce", &[Mul(2.8413062499962901241875439064617e-5)], &[Div(2.8413062499962901241875439064617e-5)]),
    u("ImperialPint", &[Mul(5.6826125e-4)], &[Div(5.6826125e-4)]),
    u("MetricCup", &[Mul(0.00025)], &[Div(0.00025)]),
    u("MetricTeaspoon", &[Mul(0.5e-5)], &[Div(0.5e-5)]),
    u("OilBarrel", &[Mul(0.158987294928)], &[Div(0.158987294928)]),
    u("UkTablespoon", &[Mul(1.5e-5)], &[Div(1.5e-5)]),
    u("UsBeerBarrel", &[Mul(0.1173477658)], &[Div(0.1173477658)]),
    u("UsCustomaryCup", &[Mul(0.0002365882365)], &[Div(0.0002365882365)]),
    u("UsGallon", &[Mul(0.00378541)], &[Div(0.00378541)]).with(&["Deca", "Deci", "Hecto", "Kilo", "Mega"]),
    u("UsLegalCup", &[Mul(0.00024)], &[Div(0.00024)]),
    u("UsOunce", &[Mul(2.957352956253760505068307980135e-5)], &[Div(2.957352956253760505068307980135e-5)]),
    u("UsPint", &[Mul(4.73176473e-4)], &[Div(4.73176473e-4)]),
    u("UsQuart", &[Mul(9.46352946e-4)], &[Div(9.46352946e-4)]),
    u("UsTablespoon", &[Mul(1.478676478125e-5)], &[Div(1.478676478125e-5)]),
    u("UsTeaspoon", &[Mul(4.92892159375e-6)], &[Div(4.92892159375e-6)]),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit names each function's documentation lists.
    const DOCUMENTED: &[(&[Unit], &str)] = &[
        (
            ANGLE,
            "Arcminute Arcsecond Centiradian Deciradian Degree Gradian Microdegree Microradian Millidegree \
             Milliradian Nanodegree Nanoradian NatoMil Radian Revolution Tilt",
        ),
        (
            ENERGY,
            "BritishThermalUnit Calorie DecathermEc DecathermImperial DecathermUs ElectronVolt Erg FootPound \
             GigabritishThermalUnit GigaelectronVolt Gigajoule GigawattDay GigawattHour HorsepowerHour Joule \
             KilobritishThermalUnit Kilocalorie KiloelectronVolt Kilojoule KilowattDay KilowattHour \
             MegabritishThermalUnit Megacalorie MegaelectronVolt Megajoule MegawattDay MegawattHour Millijoule \
             TeraelectronVolt TerawattDay TerawattHour ThermEc ThermImperial ThermUs WattDay WattHour",
        ),
        (
            FORCE,
            "Decanewton Dyn KilogramForce Kilonewton KiloPond KilopoundForce Meganewton Micronewton Millinewton \
             Newton OunceForce Poundal PoundForce ShortTonForce TonneForce",
        ),
        (
            LENGTH,
            "Angstrom AstronomicalUnit Centimeter Chain DataMile Decameter Decimeter DtpPica DtpPoint Fathom Foot \
             Hand Hectometer Inch KilolightYear Kilometer Kiloparsec LightYear MegalightYear Megaparsec Meter \
             Microinch Micrometer Mil Mile Millimeter Nanometer NauticalMile Parsec PrinterPica PrinterPoint \
             Shackle SolarRadius Twip UsSurveyFoot Yard",
        ),
        (
            MASS,
            "Centigram Decagram Decigram EarthMass Grain Gram Hectogram Kilogram Kilopound Kilotonne \
             LongHundredweight LongTon Megapound Megatonne Microgram Milligram Nanogram Ounce Pound \
             ShortHundredweight ShortTon Slug SolarMass Stone Tonne",
        ),
        (
            SPEED,
            "CentimeterPerHour CentimeterPerMinute CentimeterPerSecond DecimeterPerMinute DecimeterPerSecond \
             FootPerHour FootPerMinute FootPerSecond InchPerHour InchPerMinute InchPerSecond KilometerPerHour \
             KilometerPerMinute KilometerPerSecond Knot MeterPerHour MeterPerMinute MeterPerSecond \
             MicrometerPerMinute MicrometerPerSecond MilePerHour MillimeterPerHour MillimeterPerMinute \
             MillimeterPerSecond NanometerPerMinute NanometerPerSecond UsSurveyFootPerHour UsSurveyFootPerMinute \
             UsSurveyFootPerSecond YardPerHour YardPerMinute YardPerSecond",
        ),
        (
            TEMPERATURE,
            "DegreeCelsius DegreeDelisle DegreeFahrenheit DegreeNewton DegreeRankine DegreeReaumur DegreeRoemer \
             Kelvin MillidegreeCelsius SolarTemperature",
        ),
        (
            VOLUME,
            "AcreFoot AuTablespoon BoardFoot Centiliter CubicCentimeter CubicDecimeter CubicFoot CubicHectometer \
             CubicInch CubicKilometer CubicMeter CubicMicrometer CubicMile CubicMillimeter CubicYard Decaliter \
             DecausGallon Deciliter DeciusGallon HectocubicFoot HectocubicMeter Hectoliter HectousGallon \
             ImperialBeerBarrel ImperialGallon ImperialOunce ImperialPint KilocubicFoot KilocubicMeter \
             KiloimperialGallon Kiloliter KilousGallon Liter MegacubicFoot MegaimperialGallon Megaliter \
             MegausGallon MetricCup MetricTeaspoon Microliter Milliliter OilBarrel UkTablespoon UsBeerBarrel \
             UsCustomaryCup UsGallon UsLegalCup UsOunce UsPint UsQuart UsTablespoon UsTeaspoon",
        ),
    ];

    #[test]
    fn every_documented_unit_is_known_and_round_trips() {
        for (units, names) in DOCUMENTED {
            for name in names.split_whitespace() {
                let found = find(units, name);
                assert!(found.is_some(), "{name}");
                let back =
                    convert(units, 0.25, name, units[0].name).and_then(|v| convert(units, v, units[0].name, name));
                let back = back.unwrap_or(f64::NAN);
                assert!((back - 0.25).abs() < 1e-9, "{name}: {back}");
            }
        }
        // Prefixes a unit does not take, other cases and unknown names are not units.
        for name in ["Kilofoot", "meter", "METER", "Kilo", "Metre", ""] {
            assert!(find(LENGTH, name).is_none(), "{name}");
        }
    }

    #[test]
    fn documented_examples() {
        let close = |v: Option<f64>, want: f64| matches!(v, Some(v) if ((v - want) / want).abs() < 1e-14);
        assert!(close(convert(ANGLE, 1.2, "Degree", "Arcminute"), 72.0));
        assert!(close(convert(ENERGY, 1.2, "Joule", "BritishThermalUnit"), 0.00113738054437598));
        assert!(close(convert(FORCE, 1.2, "Newton", "Decanewton"), 0.12));
        assert!(close(convert(LENGTH, 1.2, "Meter", "Foot"), 3.93700787401575));
        assert!(close(convert(MASS, 1.2, "Kilogram", "Pound"), 2.64554714621853));
        assert!(close(convert(SPEED, 1.2, "MeterPerSecond", "CentimeterPerHour"), 432000.0));
        assert!(close(convert(VOLUME, 1.2, "CubicMeter", "AcreFoot"), 0.0009728568));
        assert!(close(convert(TEMPERATURE, 1.2, "Kelvin", "DegreeCelsius"), -271.95));
        assert!(close(convert(TEMPERATURE, 212.0, "DegreeFahrenheit", "DegreeCelsius"), 100.0));
    }
}
