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
use datafusion::sql::sqlparser::dialect::{Dialect, SparkSqlDialect};
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
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
    Ok(f(args.remove(0).into()).expr().clone())
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

fn timestamp_seconds(args: Vec<Expr>) -> Result<Expr> {
    one("timestamp_seconds", args, functions::timestamp_seconds)
}
fn timestamp_millis(args: Vec<Expr>) -> Result<Expr> {
    one("timestamp_millis", args, functions::timestamp_millis)
}
fn timestamp_micros(args: Vec<Expr>) -> Result<Expr> {
    one("timestamp_micros", args, functions::timestamp_micros)
}

fn date_format(args: Vec<Expr>) -> Result<Expr> {
    arity("date_format", &args, &[2])?;
    let pattern = text("date_format", &args[1])?;
    Ok(functions::date_format(args[0].clone(), &pattern).expr().clone())
}

fn to_date(args: Vec<Expr>) -> Result<Expr> {
    arity("to_date", &args, &[1, 2])?;
    Ok(match args.get(1) {
        Some(p) => functions::to_date_with_format(args[0].clone(), &text("to_date", p)?).expr().clone(),
        None => functions::to_date(args[0].clone()).expr().clone(),
    })
}

fn to_timestamp(args: Vec<Expr>) -> Result<Expr> {
    arity("to_timestamp", &args, &[1, 2])?;
    Ok(match args.get(1) {
        Some(p) => functions::to_timestamp_with_format(args[0].clone(), &text("to_timestamp", p)?).expr().clone(),
        None => functions::to_timestamp(args[0].clone()).expr().clone(),
    })
}

fn regexp_extract(args: Vec<Expr>) -> Result<Expr> {
    arity("regexp_extract", &args, &[2, 3])?;
    let pattern = text("regexp_extract", &args[1])?;
    // Spark's default group is 1.
    let group = args.get(2).map(|g| integer("regexp_extract", g)).transpose()?.unwrap_or(1);
    let group = usize::try_from(group)
        .map_err(|_| DataFusionError::Plan(format!("regexp_extract: group {group} is negative")))?;
    Ok(functions::regexp_extract(args[0].clone(), &pattern, group).expr().clone())
}

fn regexp_replace(args: Vec<Expr>) -> Result<Expr> {
    arity("regexp_replace", &args, &[3])?;
    let (pattern, replacement) = (text("regexp_replace", &args[1])?, text("regexp_replace", &args[2])?);
    Ok(functions::regexp_replace(args[0].clone(), &pattern, &replacement).expr().clone())
}

fn split(args: Vec<Expr>) -> Result<Expr> {
    arity("split", &args, &[2, 3])?;
    if let Some(limit) = args.get(2)
        && integer("split", limit)? > 0
    {
        return Err(DataFusionError::NotImplemented("split with a positive limit".into()));
    }
    Ok(functions::split(args[0].clone(), &text("split", &args[1])?).expr().clone())
}

fn round(args: Vec<Expr>) -> Result<Expr> {
    arity("round", &args, &[1, 2])?;
    let scale = args.get(1).map(|s| integer("round", s)).transpose()?.unwrap_or(0);
    let scale =
        i32::try_from(scale).map_err(|_| DataFusionError::Plan(format!("round: scale {scale} is too large")))?;
    Ok(functions::round(args[0].clone(), scale).expr().clone())
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

/// The array of event-time windows that [`TimeWindows`] unnests: `window`'s arguments, durations as strings.
const TIME_WINDOWS: &str = "__flint_time_windows";

fn time_windows(args: Vec<Expr>) -> Result<Expr> {
    arity("window", &args, &[2, 3, 4])?;
    let duration = text("window", &args[1])?;
    let slide = args.get(2).map(|e| text("window", e)).transpose()?;
    let start = args.get(3).map(|e| text("window", e)).transpose()?;
    functions::time_windows(args[0].clone(), &duration, slide.as_deref(), start.as_deref())
        .map_err(|e| DataFusionError::Plan(format!("window: {e}")))
}

/// The functions, by name.
pub(crate) fn scalar_functions() -> Vec<ScalarUDF> {
    let defs: [(&'static str, Rewrite); 18] = [
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
        (TIME_WINDOWS, time_windows),
        ("session_window", crate::dataframe::sessions::sql_session_window),
        ("timestamp_seconds", timestamp_seconds),
        ("timestamp_millis", timestamp_millis),
        ("timestamp_micros", timestamp_micros),
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
    let scan = Parser::new(&SparkDialect)
        .try_with_sql(&format!("SELECT * FROM {table}"))
        .and_then(|mut p| p.parse_query())
        .map_err(|e| crate::Error::Internal(format!("planning {kind:?}: {e}")))?;
    *body = *scan.body;
    Ok(())
}

/// Applies the rewrites to a parsed statement.
pub(crate) fn rewrite_statement(statement: &mut datafusion::sql::parser::Statement) -> Result<()> {
    if let datafusion::sql::parser::Statement::Statement(s) = statement {
        let _ = s.visit(&mut RlikeToRegexMatch);
        if let ControlFlow::Break(e) = s.visit(&mut SparkSelects) {
            return Err(e);
        }
    }
    Ok(())
}

/// Spark's SQL dialect as DataFusion's, plus the backslash escapes Spark processes in string literals (`'\\W'` is
/// the regex `\W`, `'\n'` a newline), as with Spark's default `spark.sql.parser.escapedStringLiterals=false`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SparkDialect;

/// Every choice of sqlparser's Spark dialect, delegated.
macro_rules! spark_dialect_choices {
    ($($name:ident),* $(,)?) => {$(
        fn $name(&self) -> bool {
            SparkSqlDialect.$name()
        }
    )*};
}

impl Dialect for SparkDialect {
    // sqlparser's `dialect_of!(self is SparkSqlDialect)` checks see Spark.
    fn dialect(&self) -> std::any::TypeId {
        SparkSqlDialect.dialect()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        SparkSqlDialect.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        SparkSqlDialect.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        SparkSqlDialect.is_identifier_part(ch)
    }

    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }

    // Spark keeps the backslash of `\%` and `\_`, which LIKE patterns use as escapes.
    fn ignores_wildcard_escapes(&self) -> bool {
        true
    }

    spark_dialect_choices!(
        supports_filter_during_aggregation,
        supports_group_by_expr,
        supports_group_by_with_modifier,
        supports_lambda_functions,
        supports_select_wildcard_except,
        supports_struct_literal,
        supports_nested_comments,
        supports_create_table_using,
        supports_long_type_as_bigint,
        supports_values_as_table_factor,
        require_interval_qualifier,
        supports_bang_not_operator,
        supports_select_item_multi_column_alias,
        supports_cte_without_as,
        supports_map_literal_with_angle_brackets,
    );

    fn parse_infix(
        &self,
        parser: &mut Parser<'_>,
        expr: &sql_ast::Expr,
        precedence: u8,
    ) -> Option<std::result::Result<sql_ast::Expr, ParserError>> {
        SparkSqlDialect.parse_infix(parser, expr, precedence)
    }
}

/// Parses one SQL statement as Spark does.
pub(crate) fn parse_statement(sql: &str, recursion_limit: usize) -> Result<datafusion::sql::parser::Statement> {
    let mut statements = datafusion::sql::parser::DFParserBuilder::new(sql)
        .with_dialect(&SparkDialect)
        .with_recursion_limit(recursion_limit)
        .build()?
        .parse_statements()?;
    match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        (None, _) => Err(DataFusionError::Plan("no SQL statement was given".into())),
        (Some(_), false) => {
            Err(DataFusionError::Plan("one statement at a time: session.sql runs a single SQL statement".into()))
        }
    }
}

/// What Flint changes in each `SELECT` so that it answers as Spark's would: event-time windows and Spark's names
/// of unnamed columns.
struct SparkSelects;

impl VisitorMut for SparkSelects {
    type Break = DataFusionError;

    fn post_visit_query(&mut self, query: &mut sql_ast::Query) -> ControlFlow<DataFusionError> {
        let sql_ast::Query { body, order_by, .. } = query;
        let sql_ast::SetExpr::Select(select) = body.as_mut() else { return ControlFlow::Continue(()) };
        if let Err(e) = plan_time_windows(select, order_by.as_mut()) {
            return ControlFlow::Break(e);
        }
        if let Err(e) = plan_session_windows(select, order_by.as_mut()) {
            return ControlFlow::Break(e);
        }
        name_columns(select);
        ControlFlow::Continue(())
    }
}

/// The arguments of a call of `function`: Spark's `window(time, duration[, slide[, start]])` or
/// `session_window(time, gap)`.
fn window_call<'a>(e: &'a sql_ast::Expr, function: &str) -> Option<&'a sql_ast::FunctionArgumentList> {
    let sql_ast::Expr::Function(f) = e else { return None };
    let [sql_ast::ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else { return None };
    match &f.args {
        sql_ast::FunctionArguments::List(list) if name.value.eq_ignore_ascii_case(function) && f.over.is_none() => {
            Some(list)
        }
        _ => None,
    }
}

/// Spark's event-time windows in a `SELECT`: a row becomes one row per window holding its time, the window in a
/// column named `window` that every `window(…)` call of the query reads (so `GROUP BY window(ts, '10 minutes')`
/// groups by it and `SELECT window.start` reads it). The rows come from a subquery over the `FROM` clause that
/// keeps its name, so qualified columns still resolve.
fn plan_time_windows(select: &mut sql_ast::Select, order_by: Option<&mut sql_ast::OrderBy>) -> Result<()> {
    plan_window_column(select, order_by, "window", &|args| format!("unnest({TIME_WINDOWS}({args}))"))
}

/// Spark's session windows in a `SELECT`, planned as [`plan_time_windows`] plans `window`: each row gets its own
/// window `[time, time + gap)` in a column named `session_window`, and grouping by that column merges them into
/// sessions (see `dataframe::sessions`).
fn plan_session_windows(select: &mut sql_ast::Select, order_by: Option<&mut sql_ast::OrderBy>) -> Result<()> {
    plan_window_column(select, order_by, "session_window", &|args| format!("session_window({args})"))
}

/// Replaces the calls of `function` in a `SELECT` by a column of that name, computed by `column(arguments)` in a
/// subquery over the `FROM` clause that keeps its name.
fn plan_window_column(
    select: &mut sql_ast::Select,
    order_by: Option<&mut sql_ast::OrderBy>,
    function: &str,
    column: &dyn Fn(&str) -> String,
) -> Result<()> {
    let mut call: Option<sql_ast::Expr> = None;
    let mut replace = |e: &mut sql_ast::Expr| {
        if window_call(e, function).is_none() {
            return ControlFlow::Continue(());
        }
        match &call {
            Some(first) if first.to_string() != e.to_string() => {
                return ControlFlow::Break(DataFusionError::Plan(format!(
                    "a query may use one event-time window, as in Spark: `{first}` and `{e}` differ"
                )));
            }
            Some(_) => {}
            None => call = Some(e.clone()),
        }
        *e = sql_ast::Expr::Identifier(sql_ast::Ident::new(function));
        ControlFlow::Continue(())
    };
    macro_rules! replace_in {
        ($node:expr) => {
            if let ControlFlow::Break(e) = sql_ast::visit_expressions_mut($node, &mut replace) {
                return Err(e);
            }
        };
    }
    replace_in!(&mut select.projection);
    if let sql_ast::GroupByExpr::Expressions(exprs, _) = &mut select.group_by {
        replace_in!(exprs);
    }
    replace_in!(&mut select.selection);
    replace_in!(&mut select.having);
    if let Some(order_by) = order_by {
        replace_in!(order_by);
    }
    let Some(call) = call else { return Ok(()) };
    let args = window_call(&call, function).map(|list| list.args.iter().map(ToString::to_string).collect::<Vec<_>>());
    if select.from.is_empty() {
        return Err(DataFusionError::Plan(format!("`{call}` needs a FROM clause with its time column")));
    }
    let name = match select.from.as_slice() {
        [sql_ast::TableWithJoins { relation, joins }] if joins.is_empty() => match relation {
            sql_ast::TableFactor::Table { alias: Some(alias), .. }
            | sql_ast::TableFactor::Derived { alias: Some(alias), .. } => Some(alias.name.clone()),
            sql_ast::TableFactor::Table { name, alias: None, .. } => match name.0.last() {
                Some(sql_ast::ObjectNamePart::Identifier(i)) => Some(i.clone()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let from: Vec<String> = select.from.iter().map(ToString::to_string).collect();
    let sql = format!(
        "SELECT * FROM (SELECT *, {} AS {function} FROM {}){}",
        column(&args.unwrap_or_default().join(", ")),
        from.join(", "),
        name.map(|n| format!(" AS {n}")).unwrap_or_default()
    );
    let parsed = Parser::new(&SparkDialect).try_with_sql(&sql).and_then(|mut p| p.parse_query())?;
    let sql_ast::SetExpr::Select(windowed) = *parsed.body else {
        return Err(DataFusionError::Internal(format!("planning `{call}`: not a SELECT")));
    };
    select.from = windowed.from;
    Ok(())
}

/// The columns Spark lists first for a statement `SELECT * FROM a JOIN b USING (k) …`: the USING keys (the last
/// join's first when there are several), before the other columns of each side in order; DataFusion keeps the
/// left side's order, so the result is reordered by these names. Inner and left joins only, where the key is the
/// left side's.
pub(crate) fn using_keys_first(statement: &datafusion::sql::parser::Statement) -> Option<Vec<String>> {
    let datafusion::sql::parser::Statement::Statement(s) = statement else { return None };
    let sql_ast::Statement::Query(query) = s.as_ref() else { return None };
    let sql_ast::SetExpr::Select(select) = query.body.as_ref() else { return None };
    let [sql_ast::SelectItem::Wildcard(options)] = select.projection.as_slice() else { return None };
    if options.opt_except.is_some() || options.opt_exclude.is_some() || options.opt_rename.is_some() {
        return None;
    }
    let [sql_ast::TableWithJoins { joins, .. }] = select.from.as_slice() else { return None };
    let mut keys: Vec<String> = Vec::new();
    for join in joins.iter().rev() {
        use sql_ast::JoinOperator as J;
        let (J::Join(c) | J::Inner(c) | J::Left(c) | J::LeftOuter(c)) = &join.join_operator else { return None };
        let sql_ast::JoinConstraint::Using(names) = c else { return None };
        for name in names {
            let Some(sql_ast::ObjectNamePart::Identifier(key)) = name.0.last() else { return None };
            if !keys.contains(&key.value) {
                keys.push(key.value.clone());
            }
        }
    }
    (!keys.is_empty()).then_some(keys)
}

/// Names unnamed expressions of the select list as Spark does (`count(1)` for `count(*)`, `avg(friends)` for
/// `avg(people.friends)`, `(age + 1)`); expressions whose Spark name Flint does not know keep DataFusion's.
fn name_columns(select: &mut sql_ast::Select) {
    for item in &mut select.projection {
        let sql_ast::SelectItem::UnnamedExpr(expr) = item else { continue };
        if matches!(expr, sql_ast::Expr::Identifier(_)) {
            continue;
        }
        if let Some(name) = spark_name(expr) {
            let expr = std::mem::replace(expr, sql_ast::Expr::value(sql_ast::Value::Null));
            *item = sql_ast::SelectItem::ExprWithAlias { expr, alias: sql_ast::Ident::with_quote('`', name) };
        }
    }
}

/// The name Spark gives an unnamed expression (its `toPrettySQL`): the expression's SQL without qualifiers,
/// literals as their values, operators in parentheses.
fn spark_name(e: &sql_ast::Expr) -> Option<String> {
    use sql_ast::{Expr as E, UnaryOperator as U, Value as V};
    Some(match e {
        E::Identifier(i) => i.value.clone(),
        E::CompoundIdentifier(parts) => parts.last()?.value.clone(),
        E::Value(v) => match &v.value {
            V::Number(n, _) if !n.contains(['e', 'E']) => n.clone(),
            V::SingleQuotedString(s) | V::DoubleQuotedString(s) => s.clone(),
            V::Boolean(b) => b.to_string(),
            V::Null => "NULL".into(),
            _ => return None,
        },
        E::Nested(inner) => spark_name(inner)?,
        E::UnaryOp { op: U::Minus, expr } => match expr.as_ref() {
            E::Value(v) if matches!(v.value, V::Number(..)) => format!("-{}", spark_name(expr)?),
            _ => format!("(- {})", spark_name(expr)?),
        },
        E::UnaryOp { op: U::Not, expr } => format!("(NOT {})", spark_name(expr)?),
        E::IsNull(x) => format!("({} IS NULL)", spark_name(x)?),
        E::IsNotNull(x) => format!("({} IS NOT NULL)", spark_name(x)?),
        E::InList { expr, list, negated: false } => {
            let list: Option<Vec<String>> = list.iter().map(spark_name).collect();
            format!("({} IN ({}))", spark_name(expr)?, list?.join(", "))
        }
        E::Cast { kind: sql_ast::CastKind::Cast, expr, data_type, format: None, .. } => {
            let t = data_type.to_string().to_ascii_uppercase();
            let t = match t.as_str() {
                "INTEGER" => "INT".to_string(),
                "LONG" => "BIGINT".to_string(),
                "SHORT" => "SMALLINT".to_string(),
                "BYTE" => "TINYINT".to_string(),
                "REAL" => "FLOAT".to_string(),
                _ => t,
            };
            format!("CAST({} AS {t})", spark_name(expr)?)
        }
        E::BinaryOp { left, op, right } => {
            use sql_ast::BinaryOperator as B;
            let (l, r) = (spark_name(left)?, spark_name(right)?);
            let op = match op {
                B::Plus => "+",
                B::Minus => "-",
                B::Multiply => "*",
                B::Divide => "/",
                B::Modulo => "%",
                B::MyIntegerDivide => "div",
                B::Eq => "=",
                B::Spaceship => "<=>",
                B::Gt => ">",
                B::Lt => "<",
                B::GtEq => ">=",
                B::LtEq => "<=",
                B::And => "AND",
                B::Or => "OR",
                B::NotEq => return Some(format!("(NOT ({l} = {r}))")),
                B::StringConcat => return Some(format!("concat({l}, {r})")),
                _ => return None,
            };
            format!("({l} {op} {r})")
        }
        E::Function(f) => function_name(f)?,
        _ => return None,
    })
}

/// Spark's name of a function call: its name in lower case, its arguments' names, `count(1)` for `count(*)`, and
/// the default arguments Spark shows.
fn function_name(f: &sql_ast::Function) -> Option<String> {
    use sql_ast::{FunctionArg as A, FunctionArgExpr as X};
    if f.over.is_some() || f.filter.is_some() || !f.within_group.is_empty() {
        return None;
    }
    let [sql_ast::ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else { return None };
    let name = name.value.to_ascii_lowercase();
    let list = match &f.args {
        sql_ast::FunctionArguments::List(list) if list.clauses.is_empty() => list,
        sql_ast::FunctionArguments::None => return Some(format!("{name}()")),
        _ => return None,
    };
    let mut args = Vec::with_capacity(list.args.len() + 1);
    for arg in &list.args {
        args.push(match arg {
            A::Unnamed(X::Expr(e)) => spark_name(e)?,
            A::Unnamed(X::Wildcard) if name == "count" => "1".to_string(),
            _ => return None,
        });
    }
    match (name.as_str(), args.len()) {
        ("round" | "bround", 1) => args.push("0".into()),
        ("regexp_extract", 2) => args.push("1".into()),
        ("split", 2) => args.push("-1".into()),
        ("substring" | "substr", 2) => args.push(i32::MAX.to_string()),
        ("if", _) => return None,
        _ => {}
    }
    let distinct = matches!(list.duplicate_treatment, Some(sql_ast::DuplicateTreatment::Distinct));
    Some(format!("{name}({}{})", if distinct { "DISTINCT " } else { "" }, args.join(", ")))
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
