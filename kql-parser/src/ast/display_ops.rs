//! `Display` for the sources and operators that read external data, search, shape series and
//! describe charts: `externaldata`, `search`, `find`, `make-series`, `top-nested`, `parse-kv`,
//! `render`, `partition`, `fork` (the rest is in `display.rs`). Every form prints as valid KQL that parses back to
//! the same tree.

use std::fmt::{self, Display, Formatter, Write};

use super::display::{comma_list, params};
use super::*;

impl Display for UnionTable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expr(e) => write!(f, "{e}"),
            Self::Pattern(p) => write!(f, "{p}"),
        }
    }
}

/// ` in (T1, T2*)` when there are tables.
fn tables_in(f: &mut Formatter<'_>, tables: &[UnionTable]) -> fmt::Result {
    if tables.is_empty() {
        return Ok(());
    }
    f.write_str(" in (")?;
    comma_list(f, tables)?;
    f.write_char(')')
}

impl Display for ExternalData {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("externaldata(")?;
        comma_list(f, &self.columns)?;
        f.write_str(") [")?;
        let uris: Vec<Literal> = self.uris.iter().map(|u| Literal::String(u.value.clone())).collect();
        comma_list(f, &uris)?;
        f.write_char(']')?;
        if !self.properties.is_empty() {
            f.write_str(" with (")?;
            comma_list(f, &self.properties)?;
            f.write_char(')')?;
        }
        Ok(())
    }
}

impl Display for Search {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("search")?;
        params(f, &self.params)?;
        tables_in(f, &self.tables)?;
        write!(f, " {}", self.predicate)
    }
}

impl Display for FindColumn {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Column { name, ty: Some(t) } => write!(f, "{name}:{t}"),
            Self::Column { name, ty: None } => write!(f, "{name}"),
            Self::PackAll => f.write_str("pack_all()"),
        }
    }
}

impl Display for Find {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("find")?;
        params(f, &self.params)?;
        tables_in(f, &self.tables)?;
        write!(f, " where {}", self.predicate)?;
        if let Some(cols) = &self.project {
            f.write_str(" project ")?;
            comma_list(f, cols)?;
        }
        Ok(())
    }
}

impl Display for TopNestedClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("top-nested")?;
        if let Some(n) = &self.count {
            write!(f, " {n}")?;
        }
        write!(f, " of {}", self.of)?;
        if let Some(o) = &self.others {
            write!(f, " with others = {o}")?;
        }
        write!(f, " by {}", self.by)?;
        match self.order {
            Some(SortOrder::Asc) => f.write_str(" asc"),
            Some(SortOrder::Desc) => f.write_str(" desc"),
            None => Ok(()),
        }
    }
}

impl Display for RenderProperty {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} = ", self.name)?;
        match &self.value {
            RenderValue::Literal(l) => write!(f, "{l}"),
            RenderValue::Names(names) => comma_list(f, names),
        }
    }
}

impl Display for Render {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "render {}", self.kind)?;
        if !self.properties.is_empty() {
            f.write_str(" with (")?;
            comma_list(f, &self.properties)?;
            f.write_char(')')?;
        }
        Ok(())
    }
}

impl Display for SeriesAggregate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.aggregate)?;
        match &self.default {
            Some(d) => write!(f, " default = {d}"),
            None => Ok(()),
        }
    }
}

impl Display for MakeSeries {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("make-series")?;
        params(f, &self.params)?;
        f.write_char(' ')?;
        comma_list(f, &self.aggregates)?;
        write!(f, " on {}", self.axis)?;
        match (self.range_syntax, &self.from, &self.to) {
            (true, Some(a), Some(b)) => write!(f, " in range({a}, {b}, {})", self.step)?,
            _ => {
                if let Some(e) = &self.from {
                    write!(f, " from {e}")?;
                }
                if let Some(e) = &self.to {
                    write!(f, " to {e}")?;
                }
                write!(f, " step {}", self.step)?;
            }
        }
        if !self.by.is_empty() {
            f.write_str(" by ")?;
            comma_list(f, &self.by)?;
        }
        Ok(())
    }
}

impl Display for KvKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        match self.ty {
            Some(t) => write!(f, ":{t}"),
            None => Ok(()),
        }
    }
}

impl Display for ParseKv {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "parse-kv {} as (", self.source)?;
        comma_list(f, &self.keys)?;
        f.write_char(')')?;
        if !self.properties.is_empty() {
            f.write_str(" with (")?;
            comma_list(f, &self.properties)?;
            f.write_char(')')?;
        }
        Ok(())
    }
}

impl Display for Partition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("partition")?;
        params(f, &self.params)?;
        write!(f, " by {}", self.by)?;
        match &self.body {
            PartitionBody::Operators(ops) => {
                f.write_str(" (")?;
                operators(f, ops)?;
                f.write_char(')')
            }
            PartitionBody::Source(e) => match &e.kind {
                ExprKind::Tabular(p) => write!(f, " {{ {p} }}"),
                _ => write!(f, " {{ {e} }}"),
            },
        }
    }
}

/// A subquery's operators, `|`-separated.
pub(super) fn operators(f: &mut Formatter<'_>, ops: &[Operator]) -> fmt::Result {
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            f.write_str(" | ")?;
        }
        write!(f, "{op}")?;
    }
    Ok(())
}

impl Display for ForkLeg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.name {
            write!(f, "{n} = ")?;
        }
        f.write_char('(')?;
        operators(f, &self.body)?;
        f.write_char(')')
    }
}
