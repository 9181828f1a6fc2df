//! The operator's side: the region's queue, a decision (approve, reject, return) that names the
//! revision its operator saw, the notices it sends, and the review statistics.

use frmo_domain::access::{Action, Actor, DenyCode, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::org::Organization;
use frmo_domain::status::RequestStatus;
use frmo_store::VersionRecord;
use frmo_store::requests::{RequestRecord, StatusChange};
use serde_json::json;
use time::{Date, OffsetDateTime};

use super::{
    MOSCOW, RequestView, Verdict, changed_fields, moscow_date, moved, moved_message, request_number, required,
};
use crate::Caller;
use crate::{Registry, RegistryError, Result};

impl Registry {
    /// The requests waiting for an operator of the actor's regions (all regions for an
    /// administrator), oldest first, with overdue ones flagged.
    pub async fn moderation_queue(&self, caller: &Caller) -> Result<Vec<RequestView>> {
        self.authorize(caller, Action::Moderate, Target::None).await?;
        let regions: &[u8] = match caller.actor() {
            Actor::User(person) if person.federal_role.is_none() => &person.operator_regions,
            _ => &[],
        };
        let records = self.store.submitted_requests(regions, 1000).await?;
        Ok(records.into_iter().map(|r| self.view(r, Vec::new())).collect())
    }

    /// An operator decides. `revision` is the one the operator saw.
    pub async fn decide_request(
        &self,
        caller: &Caller,
        id: i64,
        revision: i64,
        verdict: Verdict,
    ) -> Result<RequestView> {
        let record = self.request_record(id).await?;
        let target = Target::Organization { oid: &record.org_oid, region: record.region };
        self.authorize(caller, Action::Moderate, target).await?;
        if record.status != RequestStatus::Submitted || record.revision != revision {
            return Err(moved(&record));
        }
        let Actor::User(person) = caller.actor() else { return Err(RegistryError::Forbidden(DenyCode::NotSignedIn)) };
        let label = self.actor_label(caller.actor()).await.1;
        let number = request_number(&record.kind, id, record.created_at);
        let (to, comment) = match &verdict {
            Verdict::Approve { comment } => {
                let comment = comment.trim();
                if comment.chars().count() > 2000 {
                    return Err(RegistryError::invalid(ValidationError::new(
                        "comment",
                        "Комментарий",
                        "не длиннее 2000 символов",
                    )));
                }
                (RequestStatus::Approved, Some(comment.to_owned()).filter(|c| !c.is_empty()))
            }
            Verdict::Reject { reason } => (
                RequestStatus::Rejected,
                Some(required("comment", "Причина отказа", reason, "укажите причину отказа")?),
            ),
            Verdict::Return { comment } => {
                (RequestStatus::Returned, Some(required("comment", "Комментарий", comment, "укажите, что исправить")?))
            }
        };
        let change = StatusChange {
            id,
            from: &[RequestStatus::Submitted],
            revision,
            to,
            at: self.now(),
            user_id: person.user_id,
            actor: &label,
            comment: comment.as_deref(),
        };
        let decision = json!({"request": number, "decision": to, "comment": comment});
        let decision_entry = self.entry(caller, "decision", &record.org_oid, decision).await;
        if record.kind == crate::moderation::applications::INCLUSION && matches!(verdict, Verdict::Approve { .. }) {
            self.approve_inclusion(caller, &record, &change, decision_entry).await?;
            return self.request_view(caller, id).await;
        }
        let notices = self.decision_notices(&record, &number, to, comment.as_deref()).await?;
        if let Verdict::Approve { .. } = verdict {
            let proposed: Organization =
                serde_json::from_str(&record.proposed).map_err(frmo_store::StoreError::from)?;
            let current = self.card(&Actor::System, &crate::register::organization_oid(&record.org_oid)?, None).await?;
            if current.row.version_id != record.base_version {
                return Err(RegistryError::Conflict(format!(
                    "Карточка организации изменилась после подачи заявки {number}; одобрить её как есть нельзя. \
                     Верните заявку автору на доработку."
                )));
            }
            let author = self.store.user_label(record.author_id).await?.map(|u| u.display_name).unwrap_or_default();
            let detail = json!({
                "reason": record.reason,
                "request": number,
                "requestedBy": author,
                "editedVersion": record.base_version,
                "fields": changed_fields(&current.organization, &proposed),
            });
            let change_entry = self.entry(caller, "change", &record.org_oid, detail).await;
            let version_record = VersionRecord::new(&proposed, OffsetDateTime::now_utc())?;
            self.store
                .approve_request(
                    &change,
                    version_record,
                    record.base_version,
                    vec![decision_entry, change_entry],
                    notices,
                    moved_message(&number),
                )
                .await?;
            self.refresh_index().await?;
        } else if !self.store.change_request_status(&change, None, None, vec![decision_entry], notices).await? {
            return Err(RegistryError::Conflict(moved_message(&number)));
        }
        self.request_view(caller, id).await
    }

    /// Tells the author what the operator decided.
    async fn decision_notices(
        &self,
        record: &RequestRecord,
        number: &str,
        to: RequestStatus,
        comment: Option<&str>,
    ) -> Result<Vec<frmo_store::sql::Statement>> {
        let title = format!("Заявка {number} {}", to.label());
        let body = match (to, comment) {
            (RequestStatus::Approved, None) => {
                format!("Изменения в карточке организации {} внесены в реестр.", record.org_oid)
            }
            (RequestStatus::Approved, Some(comment)) => format!(
                "Изменения в карточке организации {} внесены в реестр. Комментарий оператора: {comment}",
                record.org_oid
            ),
            (RequestStatus::Returned, Some(comment)) => {
                format!("Оператор вернул заявку на доработку: {comment}. Исправьте её и отправьте снова.")
            }
            (_, Some(comment)) => format!("Оператор отклонил заявку. Причина: {comment}"),
            (_, None) => String::new(),
        };
        self.notice(record.author_id, &title, &body, &format!("/cabinet/requests/{}", record.id)).await
    }
}

/// Review times of one region or one operator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewFigures {
    /// The region's code, or the operator's name.
    pub key: String,
    pub decided: usize,
    /// Decided after their deadline.
    pub decided_late: usize,
    /// Waiting now, and of them past the deadline.
    pub waiting: usize,
    pub overdue: usize,
    /// Average business days from submission to decision.
    pub average_days: f64,
}

/// Review-time statistics of a period: per region and per operator.
#[derive(Debug, Clone)]
pub struct ReviewStatistics {
    pub since: Date,
    pub by_region: Vec<ReviewFigures>,
    pub by_operator: Vec<ReviewFigures>,
}

impl ReviewFigures {
    fn add(&mut self, view: &RequestView, decided: bool) {
        if decided {
            let days = view.business_days.unwrap_or(0);
            self.average_days = (self.average_days * self.decided as f64 + f64::from(days)) / (self.decided + 1) as f64;
            self.decided += 1;
        } else {
            self.waiting += 1;
        }
    }
}

impl Registry {
    /// How long requests submitted since `since` took: per region (of the actor's regions, or all
    /// for an administrator) and per deciding operator.
    pub async fn review_statistics(&self, caller: &Caller, since: Date) -> Result<ReviewStatistics> {
        self.authorize(caller, Action::Moderate, Target::None).await?;
        let regions: &[u8] = match caller.actor() {
            Actor::User(person) if person.federal_role.is_none() => &person.operator_regions,
            _ => &[],
        };
        let from = since.midnight().assume_offset(MOSCOW).unix_timestamp();
        let records = self.store.requests_submitted_since(from, regions).await?;
        let (by_region, by_operator) = self.review_figures(records).await?;
        Ok(ReviewStatistics { since, by_region, by_operator })
    }

    /// Review figures of `records`: per region, and per deciding operator (named).
    pub(crate) async fn review_figures(
        &self,
        records: Vec<RequestRecord>,
    ) -> Result<(Vec<ReviewFigures>, Vec<ReviewFigures>)> {
        let mut by_region: std::collections::BTreeMap<u8, ReviewFigures> = Default::default();
        let mut by_operator: std::collections::BTreeMap<i64, ReviewFigures> = Default::default();
        for record in records {
            // Returned, withdrawn and draft requests are with their authors: neither decided nor waiting.
            let decided_by = record.decided_by;
            let decided = matches!(record.status, RequestStatus::Approved | RequestStatus::Rejected);
            if !decided && record.status != RequestStatus::Submitted {
                continue;
            }
            let late = decided
                && match (record.due_on.as_deref(), record.decided_at) {
                    (Some(due), Some(at)) => moscow_date(at).to_string().as_str() > due,
                    _ => false,
                };
            let region = record.region;
            let view = self.view(record, Vec::new());
            let figures = by_region
                .entry(region)
                .or_insert_with(|| ReviewFigures { key: region.to_string(), ..Default::default() });
            figures.add(&view, decided);
            figures.decided_late += usize::from(late);
            figures.overdue += usize::from(view.overdue);
            if let (true, Some(operator)) = (decided, decided_by) {
                let figures = by_operator.entry(operator).or_default();
                figures.add(&view, true);
                figures.decided_late += usize::from(late);
            }
        }
        let mut operators = Vec::new();
        for (id, mut figures) in by_operator {
            figures.key =
                self.store.user_label(id).await?.map_or_else(|| format!("пользователь {id}"), |u| u.display_name);
            operators.push(figures);
        }
        Ok((by_region.into_values().collect(), operators))
    }
}
