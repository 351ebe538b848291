//! Prometheus's HTTP API (`/api/v1/query`, `/api/v1/query_range`), bounded like every
//! integration (src/http.rs), and one SLO's figures from it. Prometheus answers an error
//! with `{"status":"error","errorType":…,"error":…}` and HTTP 400/422/503 (prometheus.io,
//! "HTTP API", format overview): that `error` is what the SLO shows, word for word.

use super::burn::{self, Budget, Counts, Rates, WINDOWS};
pub use super::status::Figures;
use super::{Events, PrometheusConfig, Slo};
use crate::http::{self, HttpError, Limits};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Why a query gave no figure. The words are cleaned of secrets and control characters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("{}", .0.clean())]
    Http(HttpError),
    /// Prometheus refused the query (bad PromQL, a timeout of its own): its words.
    #[error("Prometheus: {error_type}: {error}")]
    Refused { error_type: String, error: String },
    #[error("not a Prometheus API answer: {0}")]
    Shape(String),
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: http::Auth,
    tenant: Option<String>,
    max_bytes: u64,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
    Scalar(Point),
    String(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct Sample {
    value: Point,
}

#[derive(Deserialize)]
struct Series {
    values: Vec<Point>,
}

/// `[<unix seconds>, "<number>"]`: numbers come as strings ("NaN" and "+Inf" included).
type Point = (f64, String);

fn number(p: &Point) -> Option<f64> {
    p.1.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl Client {
    pub fn new(cfg: &PrometheusConfig) -> Result<Client, String> {
        let limits = Limits::for_source(cfg.timeout, cfg.max_bytes);
        let client = http::client(limits, cfg.ca_file.as_deref()).map_err(|e| e.clean())?;
        let auth = http::Auth::from_login(cfg.login().resolve()?);
        Ok(Client {
            http: client,
            base: cfg.url.trim_end_matches('/').to_owned(),
            auth,
            tenant: cfg.tenant.clone(),
            max_bytes: cfg.max_bytes,
        })
    }

    async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Data, QueryError> {
        let mut req = self.http.get(format!("{}{path}", self.base)).query(params).header("Accept", "application/json");
        req = self.auth.apply(req);
        if let Some(t) = &self.tenant {
            req = req.header("X-Scope-OrgID", t);
        }
        let (status, body) = http::fetch_any(req, self.max_bytes).await.map_err(QueryError::Http)?;
        answer(status, &body)
    }

    /// An instant query's value: the one sample of a `sum(…)`, None when it has no series.
    pub async fn instant(&self, query: &str, at: DateTime<Utc>) -> Result<Option<f64>, QueryError> {
        let params = [("query", query.to_owned()), ("time", unix(at))];
        instant_value(self.get("/api/v1/query", &params).await?)
    }

    /// A range query's points (of its first series), in time order.
    pub async fn range(
        &self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: std::time::Duration,
    ) -> Result<Vec<(DateTime<Utc>, f64)>, QueryError> {
        let params = [
            ("query", query.to_owned()),
            ("start", unix(start)),
            ("end", unix(end)),
            ("step", step.as_secs().to_string()),
        ];
        range_points(self.get("/api/v1/query_range", &params).await?)
    }
}

/// What an answer says: its data, or why not (Prometheus's own error, else the status).
fn answer(status: u16, body: &[u8]) -> Result<Data, QueryError> {
    let clean = |s: &str| crate::sanitize::sanitize_line(&crate::config::redact(s));
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope { status: s, data: Some(data), .. }) if s == "success" && (200..300).contains(&status) => Ok(data),
        Ok(Envelope { error: Some(error), error_type, .. }) => Err(QueryError::Refused {
            error_type: clean(error_type.as_deref().unwrap_or("error")),
            error: clean(&error),
        }),
        // Not Prometheus talking (a proxy's error page): say what HTTP said.
        _ if !(200..300).contains(&status) => {
            let said: String = clean(&String::from_utf8_lossy(body)).chars().take(200).collect();
            Err(QueryError::Http(HttpError::Status { code: status, said }))
        }
        Ok(_) => Err(QueryError::Shape("status is not success and there is no error".into())),
        // serde quotes what it could not read: cleaned like the rest.
        Err(e) => Err(QueryError::Shape(clean(&e.to_string()))),
    }
}

fn instant_value(data: Data) -> Result<Option<f64>, QueryError> {
    match data {
        Data::Vector(samples) => Ok(samples.first().and_then(|s| number(&s.value))),
        Data::Scalar(p) => Ok(number(&p)),
        _ => Err(QueryError::Shape("an instant query answered with neither a vector nor a scalar".into())),
    }
}

fn range_points(data: Data) -> Result<Vec<(DateTime<Utc>, f64)>, QueryError> {
    match data {
        Data::Matrix(series) => Ok(series
            .first()
            .map(|s| s.values.iter().filter_map(|p| Some((from_unix(p.0)?, number(p)?))).collect())
            .unwrap_or_default()),
        _ => Err(QueryError::Shape("a range query answered with no matrix".into())),
    }
}

/// An instant query's answer read as [`Client::instant`] reads it (for tests of the parser).
pub fn read_instant(status: u16, body: &[u8]) -> Result<Option<f64>, QueryError> {
    instant_value(answer(status, body)?)
}

/// A range query's answer read as [`Client::range`] reads it.
pub fn read_range(status: u16, body: &[u8]) -> Result<Vec<(DateTime<Utc>, f64)>, QueryError> {
    range_points(answer(status, body)?)
}

fn unix(t: DateTime<Utc>) -> String {
    format!("{:.3}", t.timestamp_millis() as f64 / 1000.0)
}

fn from_unix(secs: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((secs * 1000.0).round() as i64)
}

/// Points in the budget's history: a range query over the window returns at most this many.
pub const HISTORY_POINTS: u32 = 1000;

/// The bad-events and all-events queries for one range, each summed to one series.
fn queries(slo: &Slo, range: &str) -> (String, String) {
    let total = format!("sum({})", super::fill(&slo.total, range));
    let counted = match &slo.events {
        Events::Errors(q) | Events::Good(q) => format!("sum({})", super::fill(q, range)),
    };
    (counted, total)
}

/// Bad and all events from what the two queries said: `None` without a total. A bad-events
/// query with no series counts no errors (no 5xx series yet); a good-events one with none
/// counts every event bad.
fn counts(slo: &Slo, counted: Option<f64>, total: Option<f64>) -> Option<Counts> {
    let total = total?;
    let errors = match slo.events {
        Events::Errors(_) => counted.unwrap_or(0.0),
        Events::Good(_) => (total - counted.unwrap_or(0.0)).max(0.0),
    };
    Some(Counts { errors, total })
}

/// One SLO's figures at `now`: the window and each burn-rate window as instant queries, the
/// history as two range queries, all at once. The first refusal is the SLO's error.
pub async fn figures(client: &Client, slo: &Slo, now: DateTime<Utc>) -> Result<Figures, QueryError> {
    use futures_util::future::try_join_all;
    let window = burn::promql_duration(slo.window);
    let ranges: Vec<String> = std::iter::once(window).chain(WINDOWS.iter().map(|(w, _)| w.to_string())).collect();
    let instants = ranges.iter().map(|r| {
        let (counted, total) = queries(slo, r);
        async move {
            let (c, t) = futures_util::future::join(client.instant(&counted, now), client.instant(&total, now)).await;
            Ok::<_, QueryError>(counts(slo, c?, t?))
        }
    });
    let step = burn::step_for(slo.window, HISTORY_POINTS);
    let (counted, total) = queries(slo, &burn::promql_duration(step));
    let start = now - chrono::Duration::from_std(slo.window).unwrap_or_default()
        + chrono::Duration::from_std(step).unwrap_or_default();
    let history = async {
        let (c, t) = futures_util::future::join(
            client.range(&counted, start, now, step),
            client.range(&total, start, now, step),
        )
        .await;
        Ok::<_, QueryError>((c?, t?))
    };
    let (per_range, (bad, all)) = futures_util::future::try_join(try_join_all(instants), history).await?;
    Ok(compute(slo, now, &per_range, &bad, &all))
}

/// The figures from the counts over the window then over each of [`WINDOWS`], and the
/// history's points. Pure: tested without a Prometheus.
pub fn compute(
    slo: &Slo,
    now: DateTime<Utc>,
    per_range: &[Option<Counts>],
    counted: &[(DateTime<Utc>, f64)],
    total: &[(DateTime<Utc>, f64)],
) -> Figures {
    let over_window = per_range.first().copied().flatten();
    let mut rates: Rates = [None; 6];
    for (rate, c) in rates.iter_mut().zip(per_range.iter().skip(1)) {
        *rate = c.map(|c| burn::burn_rate(c, slo.objective));
    }
    let budget = over_window.map(|c| Budget::new(c, slo.objective));
    // The two series by step; a step without a total has no figure.
    let mut by_step: std::collections::BTreeMap<DateTime<Utc>, (Option<f64>, Option<f64>)> = Default::default();
    for &(t, v) in counted {
        by_step.entry(t).or_default().0 = Some(v);
    }
    for &(t, v) in total {
        by_step.entry(t).or_default().1 = Some(v);
    }
    let steps: Vec<_> =
        by_step.into_iter().filter_map(|(t, (c, all))| counts(slo, c, all).map(|c| (t, c.errors, c.total))).collect();
    let history = burn::burn_down(&steps, slo.objective);
    let exhausted_at = budget.and_then(|b| {
        if b.remaining <= 0.0 {
            burn::spent_at(&history).or(Some(now))
        } else {
            burn::exhaustion(now, b.fraction(), slo.window, rates[2]?)
        }
    });
    Figures {
        at: now,
        sli: over_window.filter(|c| c.total > 0.0).map(|c| 1.0 - c.error_ratio()),
        budget,
        verdict: burn::verdict(&rates),
        rates,
        exhausted_at,
        history,
    }
}
