//! Spark SQL on DataFusion: what Flint adds to DataFusion's SQL (with its Spark dialect and Spark function
//! package) so that queries give Spark's answers.
//!
//! - Operators: `/` on integers divides as doubles and `a DIV b` is integer division (Spark's semantics; DataFusion
//!   divides integers as integers and has no `DIV`); `RLIKE` is a regular-expression match (`~`).
//! - Functions Spark has and DataFusion lacks or names differently (`year`, `date_format` with Spark's date
//!   patterns, `regexp_extract`, `split`, …): each is the same expression the [`functions`](crate::functions)
//!   module builds for DataFrames, so SQL and DataFrame programs give the same answers. They are planned as
//!   calls and rewritten into those expressions when the query is optimized.

use crate::functions;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::tree_node::TreeNode;
use datafusion::common::{Column as DfColumn, DFSchema, DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::optimizer::analyzer::type_coercion::TypeCoercionRewriter;
use datafusion::sql::sqlparser::ast::{self as sql_ast, BinaryOperator, VisitMut, VisitorMut};
use std::ops::ControlFlow;
use std::sync::Arc;

/// Builds the expression of a call from its arguments.
type Rewrite = fn(Vec<Expr>) -> Result<Expr>;

/// A Spark SQL function defined as an expression over its arguments.
#[derive(Debug)]
struct Rewritten {
    name: &'static str,
    signature: Signature,
    rewrite: Rewrite,
}

// One function per name: the name identifies it.
impl PartialEq for Rewritten {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Rewritten {}

impl std::hash::Hash for Rewritten {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Rewritten {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(format!("{}: the return type comes from the arguments", self.name)))
    }

    /// The type of the expression it becomes, built over stand-in columns of the arguments' types (constant
    /// arguments, such as patterns, as themselves).
    fn return_field_from_args(&self, args: ReturnFieldArgs<'_>) -> Result<FieldRef> {
        let mut fields = Vec::with_capacity(args.arg_fields.len());
        let mut exprs = Vec::with_capacity(args.arg_fields.len());
        for (i, (field, constant)) in args.arg_fields.iter().zip(args.scalar_arguments).enumerate() {
            let name = format!("arg{i}");
            exprs.push(match constant {
                Some(value) => Expr::Literal((*value).clone(), None),
                None => Expr::Column(DfColumn::from_name(&name)),
            });
            fields.push(Field::new(name, field.data_type().clone(), true));
        }
        let schema = DFSchema::from_unqualified_fields(fields.into(), Default::default())?;
        let data_type = (self.rewrite)(exprs)?.get_type(&schema)?;
        Ok(Arc::new(Field::new(self.name, data_type, true)))
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        // Simplification runs after type coercion, so the expression is coerced here (`round`'s `= 0` compares a
        // double with an integer literal, for one).
        let mut coercion = TypeCoercionRewriter::new(info.schema());
        Ok(ExprSimplifyResult::Simplified((self.rewrite)(args)?.rewrite(&mut coercion)?.data))
    }

    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Err(DataFusionError::Internal(format!("{} runs only as the expression it is rewritten to", self.name)))
    }
}

fn arity(name: &str, args: &[Expr], counts: &[usize]) -> Result<()> {
    if counts.contains(&args.len()) {
        return Ok(());
    }
    let expected: Vec<String> = counts.iter().map(usize::to_string).collect();
    Err(DataFusionError::Plan(format!("{name} takes {} arguments, {} given", expected.join(" or "), args.len())))
}

/// A constant string argument (a pattern).
fn text(name: &str, e: &Expr) -> Result<String> {
    match e {
        Expr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Ok(s.clone()),
        other => Err(DataFusionError::Plan(format!("{name} needs a constant string here, got {other}"))),
    }
}

/// A constant integer argument.
fn integer(name: &str, e: &Expr) -> Result<i64> {
    match e {
        Expr::Literal(v, _) => match v.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(n)) => Ok(n),
            _ => Err(DataFusionError::Plan(format!("{name} needs a constant integer here, got {v}"))),
        },
        other => Err(DataFusionError::Plan(format!("{name} needs a constant integer here, got {other}"))),
    }
}

fn one(name: &str, mut args: Vec<Expr>, f: fn(crate::dataframe::Column) -> crate::dataframe::Column) -> Result<Expr> {
    arity(name, &args, &[1])?;
    Ok(f(args.remove(0).into()).expr)
}

fn year(args: Vec<Expr>) -> Result<Expr> {
    one("year", args, functions::year)
}
fn month(args: Vec<Expr>) -> Result<Expr> {
    one("month", args, functions::month)
}
fn dayofmonth(args: Vec<Expr>) -> Result<Expr> {
    one("dayofmonth", args, functions::dayofmonth)
}

fn date_format(args: Vec<Expr>) -> Result<Expr> {
    arity("date_format", &args, &[2])?;
    let pattern = text("date_format", &args[1])?;
    Ok(functions::date_format(args[0].clone(), &pattern).expr)
}

fn to_date(args: Vec<Expr>) -> Result<Expr> {
    arity("to_date", &args, &[1, 2])?;
    Ok(match args.get(1) {
        Some(p) => functions::to_date_with_format(args[0].clone(), &text("to_date", p)?).expr,
        None => functions::to_date(args[0].clone()).expr,
    })
}

fn to_timestamp(args: Vec<Expr>) -> Result<Expr> {
    arity("to_timestamp", &args, &[1, 2])?;
    Ok(match args.get(1) {
        Some(p) => functions::to_timestamp_with_format(args[0].clone(), &text("to_timestamp", p)?).expr,
        None => functions::to_timestamp(args[0].clone()).expr,
    })
}

fn regexp_extract(args: Vec<Expr>) -> Result<Expr> {
    arity("regexp_extract", &args, &[2, 3])?;
    let pattern = text("regexp_extract", &args[1])?;
    // Spark's default group is 1.
    let group = args.get(2).map(|g| integer("regexp_extract", g)).transpose()?.unwrap_or(1);
    let group = usize::try_from(group)
        .map_err(|_| DataFusionError::Plan(format!("regexp_extract: group {group} is negative")))?;
    Ok(functions::regexp_extract(args[0].clone(), &pattern, group).expr)
}

fn regexp_replace(args: Vec<Expr>) -> Result<Expr> {
    arity("regexp_replace", &args, &[3])?;
    let (pattern, replacement) = (text("regexp_replace", &args[1])?, text("regexp_replace", &args[2])?);
    Ok(functions::regexp_replace(args[0].clone(), &pattern, &replacement).expr)
}

fn split(args: Vec<Expr>) -> Result<Expr> {
    arity("split", &args, &[2, 3])?;
    if let Some(limit) = args.get(2)
        && integer("split", limit)? > 0
    {
        return Err(DataFusionError::NotImplemented("split with a positive limit".into()));
    }
    Ok(functions::split(args[0].clone(), &text("split", &args[1])?).expr)
}

fn round(args: Vec<Expr>) -> Result<Expr> {
    arity("round", &args, &[1, 2])?;
    let scale = args.get(1).map(|s| integer("round", s)).transpose()?.unwrap_or(0);
    let scale =
        i32::try_from(scale).map_err(|_| DataFusionError::Plan(format!("round: scale {scale} is too large")))?;
    Ok(functions::round(args[0].clone(), scale).expr)
}

/// Spark's integer literals are `int`; DataFusion's are `bigint`, which Spark's `date_add` signature rejects.
fn day_shift(name: &str, udf: Arc<ScalarUDF>, mut args: Vec<Expr>) -> Result<Expr> {
    arity(name, &args, &[2])?;
    let days = args.remove(1);
    let days = match days {
        Expr::Literal(v, _) => Expr::Literal(v.cast_to(&DataType::Int32)?, None),
        other => other,
    };
    Ok(udf.call(vec![args.remove(0), days]))
}

fn date_add(args: Vec<Expr>) -> Result<Expr> {
    day_shift("date_add", datafusion_spark::function::datetime::date_add(), args)
}

fn date_sub(args: Vec<Expr>) -> Result<Expr> {
    day_shift("date_sub", datafusion_spark::function::datetime::date_sub(), args)
}

/// The functions, by name.
pub(crate) fn scalar_functions() -> Vec<ScalarUDF> {
    let defs: [(&'static str, Rewrite); 13] = [
        ("year", year),
        ("month", month),
        ("dayofmonth", dayofmonth),
        ("day", dayofmonth),
        ("date_format", date_format),
        ("to_date", to_date),
        ("to_timestamp", to_timestamp),
        ("regexp_extract", regexp_extract),
        ("regexp_replace", regexp_replace),
        ("split", split),
        ("round", round),
        ("date_add", date_add),
        ("date_sub", date_sub),
    ];
    defs.into_iter()
        .map(|(name, rewrite)| {
            ScalarUDF::new_from_impl(Rewritten {
                name,
                signature: Signature::variadic_any(Volatility::Immutable),
                rewrite,
            })
        })
        .collect()
}

/// Spark's arithmetic operators where DataFusion's differ.
#[derive(Debug)]
pub(crate) struct SparkOperators;

fn is_integral(e: &Expr, schema: &DFSchema) -> bool {
    e.get_type(schema).is_ok_and(|t| t.is_integer())
}

impl ExprPlanner for SparkOperators {
    fn plan_binary_op(&self, expr: RawBinaryExpr, schema: &DFSchema) -> Result<PlannerResult<RawBinaryExpr>> {
        let double = |e: Expr| e.cast_to(&DataType::Float64, schema);
        Ok(match expr.op {
            BinaryOperator::Divide if is_integral(&expr.left, schema) && is_integral(&expr.right, schema) => {
                PlannerResult::Planned(double(expr.left)? / double(expr.right)?)
            }
            // Spark's `DIV`: the quotient rounded toward zero, a bigint.
            BinaryOperator::MyIntegerDivide => {
                let quotient = if is_integral(&expr.left, schema) && is_integral(&expr.right, schema) {
                    expr.left.cast_to(&DataType::Int64, schema)? / expr.right.cast_to(&DataType::Int64, schema)?
                } else {
                    (double(expr.left)? / double(expr.right)?).cast_to(&DataType::Int64, schema)?
                };
                PlannerResult::Planned(quotient)
            }
            _ => PlannerResult::Original(expr),
        })
    }
}

/// Rewrites what DataFusion's SQL planner does not plan into what it does: `a RLIKE p` into `a ~ p` (both find
/// the pattern anywhere in the string, as Java's `Matcher.find`).
struct RlikeToRegexMatch;

impl VisitorMut for RlikeToRegexMatch {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut sql_ast::Expr) -> ControlFlow<()> {
        if let sql_ast::Expr::RLike { negated, expr: left, pattern, .. } = expr {
            let op = if *negated { BinaryOperator::PGRegexNotMatch } else { BinaryOperator::PGRegexMatch };
            let left = std::mem::replace(left.as_mut(), sql_ast::Expr::value(sql_ast::Value::Null));
            let right = std::mem::replace(pattern.as_mut(), sql_ast::Expr::value(sql_ast::Value::Null));
            *expr = sql_ast::Expr::BinaryOp { left: Box::new(left), op, right: Box::new(right) };
        }
        ControlFlow::Continue(())
    }
}

/// A `CREATE [OR REPLACE] TEMP VIEW name [(columns)] AS query` statement, which DataFusion does not run.
pub(crate) struct TempView {
    pub(crate) name: String,
    pub(crate) or_replace: bool,
    pub(crate) if_not_exists: bool,
    pub(crate) columns: Vec<String>,
    pub(crate) query: datafusion::sql::parser::Statement,
}

/// The temporary view a statement creates, if it is one.
pub(crate) fn temp_view(statement: &datafusion::sql::parser::Statement) -> Option<TempView> {
    let datafusion::sql::parser::Statement::Statement(s) = statement else { return None };
    let sql_ast::Statement::CreateView(view) = s.as_ref() else { return None };
    if !view.temporary || view.materialized {
        return None;
    }
    Some(TempView {
        name: view.name.to_string(),
        or_replace: view.or_replace,
        if_not_exists: view.if_not_exists,
        columns: view.columns.iter().map(|c| c.name.value.clone()).collect(),
        query: datafusion::sql::parser::Statement::Statement(Box::new(sql_ast::Statement::Query(view.query.clone()))),
    })
}

/// `INTERSECT ALL` or `EXCEPT ALL`, which DataFusion answers with semi/anti joins (every left copy of a matching
/// row kept, or dropped) where Spark counts copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Multiset {
    IntersectAll,
    ExceptAll,
}

/// What computes a multiset operation: its kind and its two operand queries, to the name of a table holding the
/// result.
pub(crate) type ComputeMultiset<'a> = dyn FnMut(Multiset, sql_ast::Query, sql_ast::Query) -> crate::Result<String> + 'a;

/// Replaces every `INTERSECT ALL` / `EXCEPT ALL` of a query statement, in subqueries too (innermost first), by a
/// scan of the table `compute` names; operand queries carry their query's `WITH` clause, or the statement's.
pub(crate) fn replace_multiset_operations(
    statement: &mut datafusion::sql::parser::Statement,
    compute: &mut ComputeMultiset<'_>,
) -> crate::Result<()> {
    let datafusion::sql::parser::Statement::Statement(s) = statement else { return Ok(()) };
    let with = match s.as_ref() {
        sql_ast::Statement::Query(q) => q.with.clone(),
        _ => None,
    };
    match s.visit(&mut MultisetVisitor { with, compute }) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct MultisetVisitor<'a, 'b> {
    with: Option<sql_ast::With>,
    compute: &'a mut ComputeMultiset<'b>,
}

impl VisitorMut for MultisetVisitor<'_, '_> {
    type Break = crate::Error;

    fn post_visit_query(&mut self, query: &mut sql_ast::Query) -> ControlFlow<crate::Error> {
        let context = sql_ast::Query {
            with: query.with.clone().or_else(|| self.with.clone()),
            order_by: None,
            limit_clause: None,
            fetch: None,
            ..query.clone()
        };
        match replace_in(&mut query.body, &context, self.compute) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }
}

fn replace_in(
    body: &mut sql_ast::SetExpr,
    context: &sql_ast::Query,
    compute: &mut ComputeMultiset<'_>,
) -> crate::Result<()> {
    let sql_ast::SetExpr::SetOperation { left, right, op, set_quantifier } = body else { return Ok(()) };
    replace_in(left, context, compute)?;
    replace_in(right, context, compute)?;
    let kind = match (op, set_quantifier) {
        (sql_ast::SetOperator::Intersect, sql_ast::SetQuantifier::All) => Multiset::IntersectAll,
        (sql_ast::SetOperator::Except | sql_ast::SetOperator::Minus, sql_ast::SetQuantifier::All) => {
            Multiset::ExceptAll
        }
        _ => return Ok(()),
    };
    let operand = |side: &sql_ast::SetExpr| sql_ast::Query { body: Box::new(side.clone()), ..context.clone() };
    let table = compute(kind, operand(left), operand(right))?;
    let scan =
        datafusion::sql::sqlparser::parser::Parser::new(&datafusion::sql::sqlparser::dialect::SparkSqlDialect {})
            .try_with_sql(&format!("SELECT * FROM {table}"))
            .and_then(|mut p| p.parse_query())
            .map_err(|e| crate::Error::Internal(format!("planning {kind:?}: {e}")))?;
    *body = *scan.body;
    Ok(())
}

/// Applies the rewrites to a parsed statement.
pub(crate) fn rewrite_statement(statement: &mut datafusion::sql::parser::Statement) {
    if let datafusion::sql::parser::Statement::Statement(s) = statement {
        let _ = s.visit(&mut RlikeToRegexMatch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Expr {
        datafusion::logical_expr::lit(v)
    }

    #[test]
    fn arguments_are_checked_by_name() {
        let err = regexp_extract(vec![s("a")]).expect_err("one argument");
        assert!(err.to_string().contains("regexp_extract takes 2 or 3 arguments, 1 given"), "{err}");
        let err = date_format(vec![s("a"), Expr::Column(DfColumn::from_name("p"))]).expect_err("column pattern");
        assert!(err.to_string().contains("needs a constant string"), "{err}");
    }
}
