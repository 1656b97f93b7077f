//! The `scan` operator.

use pest::iterators::Pair;

use super::{Builder, Result, span_of};
use crate::ast::{Scan, ScanOutput, ScanStep};
use crate::grammar::Rule;

impl Builder<'_> {
    pub(crate) fn scan(&self, pair: Pair<'_, Rule>) -> Result<Scan> {
        let span = span_of(&pair);
        let mut match_id = None;
        let mut declare = Vec::new();
        let mut steps = Vec::new();
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_scan | Rule::kw_with_match_id | Rule::kw_with => {}
                Rule::name => match_id = Some(self.name(p)?),
                Rule::scan_declare => {
                    for q in p.into_inner().filter(|q| q.as_rule() == Rule::query_param) {
                        declare.push(self.query_param(q)?);
                    }
                }
                Rule::scan_step => steps.push(self.scan_step(p)?),
                _ => return Err(self.internal(&p, "scan")),
            }
        }
        Ok(Scan { match_id, declare, steps, span })
    }

    fn scan_step(&self, pair: Pair<'_, Rule>) -> Result<ScanStep> {
        let span = span_of(&pair);
        let mut name = None;
        let mut output = ScanOutput::All;
        let mut condition = None;
        let mut assignments = Vec::new();
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_step | Rule::kw_output => {}
                Rule::name => name = Some(self.name(p)?),
                Rule::scan_output => {
                    output = match p.as_str() {
                        "last" => ScanOutput::Last,
                        "none" => ScanOutput::None,
                        "all" => ScanOutput::All,
                        other => {
                            return Err(self.error(
                                span_of(&p),
                                format!("unknown step output `{other}`; a step's output is `all`, `last` or `none`"),
                            ));
                        }
                    }
                }
                Rule::expr => condition = Some(self.expr(p)?),
                Rule::scan_assign => {
                    let mut inner = p.clone().into_inner();
                    let column = self.name(self.expect(&p, &mut inner, Rule::name)?)?;
                    let value = self.expr(self.expect(&p, &mut inner, Rule::expr)?)?;
                    assignments.push((column, value));
                }
                _ => return Err(self.internal(&p, "scan step")),
            }
        }
        match (name, condition) {
            (Some(name), Some(condition)) => Ok(ScanStep { name, output, condition, assignments, span }),
            _ => Err(self.internal(&pair, "scan step")),
        }
    }
}
