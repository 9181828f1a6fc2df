//! The author's side of a change request: proposing a change (what the policy lets through lands at
//! once), submitting, resubmitting after a return, and withdrawing.

use frmo_domain::access::{Action, Actor, DenyCode, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::org::Organization;
use frmo_domain::status::RequestStatus;
use frmo_store::requests::{NewRequest, RequestRecord, StatusChange};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{
    AuthorStep, MOSCOW, Proposal, RequestView, changed_fields, moved, moved_message, request_number, required,
    stale_card,
};
use crate::Caller;
use crate::{Registry, RegistryError, Result};

impl Registry {
    /// Proposes `proposed` as the new card of its organization, made from `edited_version`. With
    /// `submit` false a request stays a draft. Direct-only changes apply at once.
    pub async fn propose_change(
        &self,
        caller: &Caller,
        proposed: Organization,
        edited_version: i64,
        reason: &str,
        submit: bool,
    ) -> Result<Proposal> {
        let current = self.card(&Actor::System, &proposed.oid, None).await?;
        let target = Target::Organization { oid: proposed.oid.as_str(), region: current.organization.region_id.code() };
        self.authorize(caller, Action::EditOrganization, target).await?;
        self.propose_from(caller, current, proposed, edited_version, reason, submit).await
    }

    /// [`Registry::propose_change`] once access is checked and the current card read.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn propose_from(
        &self,
        caller: &Caller,
        current: crate::Card,
        proposed: Organization,
        edited_version: i64,
        reason: &str,
        submit: bool,
    ) -> Result<Proposal> {
        let Actor::User(person) = caller.actor() else { return Err(RegistryError::Forbidden(DenyCode::NotSignedIn)) };
        let oid = proposed.oid.as_str().to_owned();
        let region = current.organization.region_id.code();
        if current.row.version_id != edited_version {
            return Err(stale_card(&oid));
        }
        let mut proposed = proposed;
        proposed.modify_date = OffsetDateTime::now_utc().to_offset(MOSCOW).date();
        proposed.validate().map_err(RegistryError::Invalid)?;
        let changes = changed_fields(&current.organization, &proposed);
        if changes.is_empty() {
            return Err(RegistryError::invalid(ValidationError::new("card", "Карточка", "изменений нет")));
        }
        let reason = required("reason", "Причина изменения", reason, "укажите, почему меняются данные")?;
        let moderated = changes.iter().any(|c| !self.moderation.is_direct(c["field"].as_str().unwrap_or_default()));
        if !moderated {
            let context = crate::moderation::journal::ChangeContext {
                by: caller.actor(),
                reason: &reason,
                request_id: caller.request_id(),
            };
            let version = self
                .apply_change(
                    &Actor::System,
                    &current.organization,
                    &proposed,
                    edited_version,
                    OffsetDateTime::now_utc(),
                    context,
                )
                .await?;
            return Ok(Proposal::Applied { version });
        }
        let now = self.now();
        let status = if submit { RequestStatus::Submitted } else { RequestStatus::Draft };
        let due = submit.then(|| self.due_on(now).to_string());
        let proposed_json = serde_json::to_string(&proposed).map_err(frmo_store::StoreError::from)?;
        let changes_json = Value::Array(changes).to_string();
        let new = NewRequest {
            kind: "change",
            org_oid: &oid,
            region,
            author_id: person.user_id,
            status,
            base_version: edited_version,
            proposed: &proposed_json,
            changes: &changes_json,
            reason: &reason,
            now,
            due_on: due.as_deref(),
        };
        let label = self.actor_label(caller.actor()).await.1;
        let id = self.store.create_request(&new, &label).await?;
        let number = request_number("change", id, now);
        self.journal(caller, "request", &oid, json!({"request": number, "status": status.as_str()})).await?;
        if submit {
            // After the request is in (its number is its id): the queue shows it even if this fails.
            let notices = self.submission_notices(region, id, &number, &oid, &reason).await?;
            self.store.run_all(notices).await?;
        }
        Ok(Proposal::Request(Box::new(self.request_view(caller, id).await?)))
    }

    /// The author withdraws a request not yet decided.
    pub async fn withdraw_request(&self, caller: &Caller, id: i64, revision: i64) -> Result<RequestView> {
        let record = self.authored(caller, id).await?;
        let step = AuthorStep {
            from: &[RequestStatus::Draft, RequestStatus::Submitted, RequestStatus::Returned],
            to: RequestStatus::Withdrawn,
            submitted: None,
            proposal: None,
        };
        self.author_moves(caller, &record, revision, step).await
    }

    /// The author submits a draft, or resubmits a returned request with a corrected card (made
    /// from the card's current version) and reason.
    pub async fn submit_request(
        &self,
        caller: &Caller,
        id: i64,
        revision: i64,
        correction: Option<(Organization, &str)>,
    ) -> Result<RequestView> {
        let record = self.authored(caller, id).await?;
        let proposal = match correction {
            None => None,
            Some((mut proposed, reason)) => {
                let reason = required("reason", "Причина изменения", reason, "укажите, почему меняются данные")?;
                let current =
                    self.card(&Actor::System, &crate::register::organization_oid(&record.org_oid)?, None).await?;
                if proposed.oid.as_str() != record.org_oid {
                    return Err(RegistryError::invalid(ValidationError::new(
                        "oid",
                        "OID",
                        "заявка о другой организации",
                    )));
                }
                proposed.modify_date = OffsetDateTime::now_utc().to_offset(MOSCOW).date();
                proposed.validate().map_err(RegistryError::Invalid)?;
                let changes = changed_fields(&current.organization, &proposed);
                if changes.is_empty() {
                    return Err(RegistryError::invalid(ValidationError::new("card", "Карточка", "изменений нет")));
                }
                let json = serde_json::to_string(&proposed).map_err(frmo_store::StoreError::from)?;
                Some((json, Value::Array(changes).to_string(), reason, current.row.version_id))
            }
        };
        let due = self.due_on(self.now()).to_string();
        let submitted = Some((self.now(), due.as_str()));
        let proposal_ref = proposal.as_ref().map(|(p, c, r, v)| (p.as_str(), c.as_str(), r.as_str(), *v));
        let step = AuthorStep {
            from: &[RequestStatus::Draft, RequestStatus::Returned],
            to: RequestStatus::Submitted,
            submitted,
            proposal: proposal_ref,
        };
        self.author_moves(caller, &record, revision, step).await
    }

    /// The author corrects a change request the operator returned and sends it again: the same
    /// request (number and history kept), its proposal edited from what was proposed, not from a
    /// blank form.
    pub async fn resubmit_request(
        &self,
        caller: &Caller,
        id: i64,
        revision: i64,
        edit: crate::identity::cabinet::CardEdit,
        reason: &str,
    ) -> Result<RequestView> {
        let record = self.authored(caller, id).await?;
        if record.status != RequestStatus::Returned
            || record.kind == crate::moderation::applications::INCLUSION
            || record.revision != revision
        {
            return Err(moved(&record));
        }
        let proposed: Organization = serde_json::from_str(&record.proposed).map_err(frmo_store::StoreError::from)?;
        let corrected = edit.apply(proposed)?;
        self.submit_request(caller, id, revision, Some((corrected, reason))).await
    }

    async fn authored(&self, caller: &Caller, id: i64) -> Result<RequestRecord> {
        let record = self.request_record(id).await?;
        let target = Target::Organization { oid: &record.org_oid, region: record.region };
        self.authorize(caller, Action::EditOrganization, target).await?;
        let is_author = crate::identity::route::is_author(caller.actor(), record.author_id);
        if !is_author {
            return Err(self.refuse(caller, Action::EditOrganization, target, DenyCode::NotTheAuthor).await);
        }
        Ok(record)
    }

    async fn author_moves(
        &self,
        caller: &Caller,
        record: &RequestRecord,
        revision: i64,
        step: AuthorStep<'_>,
    ) -> Result<RequestView> {
        let AuthorStep { from, to, submitted, proposal } = step;
        let number = request_number(&record.kind, record.id, record.created_at);
        if !from.contains(&record.status) || record.revision != revision {
            return Err(moved(record));
        }
        let label = self.actor_label(caller.actor()).await.1;
        let change = StatusChange {
            id: record.id,
            from,
            revision,
            to,
            at: self.now(),
            user_id: record.author_id,
            actor: &label,
            comment: None,
        };
        let entry =
            self.entry(caller, "request", &record.org_oid, json!({"request": number, "status": to.as_str()})).await;
        let notices = if to == RequestStatus::Submitted {
            let reason = proposal.map_or(record.reason.as_str(), |p| p.2);
            self.submission_notices(record.region, record.id, &number, &record.org_oid, reason).await?
        } else {
            Vec::new()
        };
        if !self.store.change_request_status(&change, submitted, proposal, vec![entry], notices).await? {
            return Err(RegistryError::Conflict(moved_message(&number)));
        }
        self.request_view(caller, record.id).await
    }

    /// Tells the region's operators that a request waits for them.
    pub(crate) async fn submission_notices(
        &self,
        region: u8,
        id: i64,
        number: &str,
        oid: &str,
        reason: &str,
    ) -> Result<Vec<frmo_store::sql::Statement>> {
        let due = self
            .due_on(self.now())
            .format(time::macros::format_description!("[day].[month].[year]"))
            .unwrap_or_default();
        let title = format!("Новая заявка {number} на проверку");
        let body =
            format!("Организация {oid} просит изменить данные. Причина: {reason}. Срок рассмотрения — до {due}.");
        let mut statements = Vec::new();
        for (operator, _) in self.store.operators_of(region).await? {
            statements.extend(self.notice(operator, &title, &body, &format!("/cabinet/requests/{id}")).await?);
        }
        Ok(statements)
    }
}
