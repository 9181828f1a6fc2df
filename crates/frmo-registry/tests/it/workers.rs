//! Medical workers on both backends: adding, the list with filters and masked personal data, the
//! journal of unmasked views, dismissal, the staffing table, and the bulk import that changes
//! nothing when one row of ten thousand is wrong.

use frmo_domain::access::DenyCode;
use frmo_domain::ident::OrgOid;
use frmo_domain::ident::checksum::snils_check;
use frmo_registry::workers::{WorkerFilter, WorkerForm, rows_from_csv};
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::{Backend, backend_tests};

use super::identity::{consenting, esia_sign_in};
use super::{REAVIZ, REAVIZ_OID, demo};

/// A valid СНИЛС from a number (its check digits computed).
fn snils(n: u32) -> String {
    let body = 2_000_000 + n;
    format!("{body:09}{:02}", snils_check(body))
}

pub(crate) fn form(n: u32, department: &str, position: u32, rate: &str) -> WorkerForm {
    WorkerForm {
        snils: snils(n),
        last_name: "Петрова".into(),
        first_name: "Анна".into(),
        patronymic: "Сергеевна".into(),
        sex: "ж".into(),
        birth_date: "1985-04-12".into(),
        phone: "+7 846 200-00-01".into(),
        email: "petrova@example.ru".into(),
        department: department.into(),
        position: position.to_string(),
        position_type: "1".into(),
        rate: rate.into(),
        begin_date: "2020-09-01".into(),
        ..WorkerForm::default()
    }
}

pub(crate) async fn member(registry: &Registry, oid: &str, confirmed: bool) -> Caller {
    let session = registry.sign_in(esia_sign_in(oid, confirmed, false)).await.expect("sign in");
    consenting(registry, &session).await
}

async fn personal_views(registry: &Registry) -> usize {
    registry.journal_of(REAVIZ_OID, 1000).await.expect("journal").iter().filter(|r| r.kind == "personal_data").count()
}

async fn workers_are_added_listed_with_masked_personal_data_and_dismissed(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let chief = member(&registry, "1000299654", true).await;
    let mut nurse = form(1, "Терапевтическое отделение", 42, "1");
    nurse.specialty = "34".into();
    nurse.credential_kind = "4".into();
    nurse.credential_number = "7724 031234567".into();
    nurse.credential_issued_on = "2021-06-01".into();
    let soon = time::OffsetDateTime::now_utc().date() + time::Duration::days(20);
    nurse.credential_valid_until = frmo_domain::date::iso(soon);
    let nurse_id = registry.add_worker(&chief, &REAVIZ, &nurse).await.expect("add");
    let mut doctor = form(2, "Терапевтическое отделение", 4, "0,5");
    doctor.last_name = "Смирнов".into();
    doctor.sex = "м".into();
    registry.add_worker(&chief, &REAVIZ, &doctor).await.expect("add");

    let before = personal_views(&registry).await;
    let page = registry.workers(&chief, &REAVIZ, &WorkerFilter::default()).await.expect("list");
    assert!(page.personal);
    assert_eq!(page.lines.len(), 2);
    let line = page.lines.iter().find(|l| l.person_id == nurse_id).expect("the nurse");
    assert_eq!(
        (line.snils.as_str(), line.birth_date.as_str()),
        (frmo_domain::ident::Snils::parse(&snils(1)).expect("snils").formatted().as_str(), "12.04.1985")
    );
    assert_eq!((line.position_name.as_str(), line.rate.as_str(), line.expiring), ("медицинская сестра", "1", true));
    assert_eq!(personal_views(&registry).await, before + 1, "the unmasked view is journaled");

    // An unconfirmed member sees the list with personal data masked, and nothing is journaled.
    let unconfirmed = member(&registry, "1000299655", false).await;
    let masked = registry.workers(&unconfirmed, &REAVIZ, &WorkerFilter::default()).await.expect("list");
    assert!(!masked.personal);
    assert!(masked.lines.iter().all(|l| l.snils.starts_with("***-***-***") && l.birth_date == "скрыто"));
    let view = registry.worker(&unconfirmed, &REAVIZ, nurse_id).await.expect("page");
    assert_eq!((view.phone.as_str(), view.email.as_str()), ("скрыто", "скрыто"));
    assert_eq!(personal_views(&registry).await, before + 1);
    assert!(matches!(
        registry.workers(&Caller::anonymous("t"), &REAVIZ, &WorkerFilter::default()).await,
        Err(RegistryError::Forbidden(DenyCode::NotSignedIn))
    ));
    // By СНИЛС: not found for who may not read any organization of the person.
    assert!(matches!(
        registry.worker_by_snils(&Caller::anonymous("t"), &snils(1)).await,
        Err(RegistryError::NotFound(_))
    ));
    let found = registry.worker_by_snils(&chief, &snils(1)).await.expect("found");
    assert_eq!((found.phone.as_str(), found.cards.len()), ("+7 846 200-00-01", 1));

    // Filters.
    let by = |f: WorkerFilter| {
        let registry = registry.clone();
        let chief = chief.clone();
        async move { registry.workers(&chief, &REAVIZ, &f).await.expect("list").lines.len() }
    };
    assert_eq!(by(WorkerFilter { specialty: Some(34), ..Default::default() }).await, 1);
    assert_eq!(by(WorkerFilter { expiring_days: Some(30), ..Default::default() }).await, 1);
    assert_eq!(by(WorkerFilter { position: Some(4), ..Default::default() }).await, 1);
    assert_eq!(by(WorkerFilter { q: "смирн".into(), ..Default::default() }).await, 1);
    assert_eq!(by(WorkerFilter { q: snils(2), ..Default::default() }).await, 1);
    assert_eq!(by(WorkerFilter { department: "хирург".into(), ..Default::default() }).await, 0);

    // Staffing: 2 rates of nurses declared, 1 busy; the doctor's position has no line.
    registry.set_staffing(&chief, &REAVIZ, "Терапевтическое отделение", "42", "2").await.expect("staffing");
    let page = registry.workers(&chief, &REAVIZ, &WorkerFilter::default()).await.expect("list");
    let nurses = page.staffing.iter().find(|s| s.position == 42).expect("nurses");
    assert_eq!(
        (nurses.declared.as_str(), nurses.busy.as_str(), nurses.vacancy.as_str(), nurses.mismatch),
        ("2", "1", "1", false)
    );
    let doctors = page.staffing.iter().find(|s| s.position == 4).expect("doctors");
    assert!(doctors.mismatch, "cards without a declared line are flagged");
    let bad = registry.set_staffing(&chief, &REAVIZ, "", "999", "x").await;
    assert!(matches!(bad, Err(RegistryError::Invalid(e)) if e.len() == 3));

    // Editing: the card and the person change, the СНИЛС does not; the change is journaled.
    let mut edited = nurse.clone();
    edited.rate = "0,75".into();
    edited.department = "Хирургическое отделение".into();
    edited.last_name = "Петрова-Смирнова".into();
    registry.edit_worker(&chief, &REAVIZ, line.card_id, &edited).await.expect("edit");
    let view = registry.worker(&chief, &REAVIZ, nurse_id).await.expect("page");
    assert_eq!((view.name.as_str(), view.cards[0].rate.as_str()), ("Петрова-Смирнова Анна Сергеевна", "0,75"));
    assert_eq!(view.cards[0].department, "Хирургическое отделение");
    let other = WorkerForm { snils: snils(9), ..edited.clone() };
    let refused = registry.edit_worker(&chief, &REAVIZ, line.card_id, &other).await;
    assert!(matches!(refused, Err(RegistryError::Invalid(e)) if e[0].field == "snils"));
    let journal = registry.journal_of(REAVIZ_OID, 100).await.expect("journal");
    assert!(journal.iter().any(|r| r.kind == "worker" && r.detail.contains("\"rate\"")));
    let form = registry.worker_form(&chief, &REAVIZ, nurse_id, line.card_id).await.expect("form");
    assert_eq!((form.rate.as_str(), form.department.as_str()), ("0,75", "Хирургическое отделение"));
    assert!(registry.worker_form(&unconfirmed, &REAVIZ, nurse_id, line.card_id).await.is_err());

    // Education and a qualification category on the worker's record.
    let diploma = frmo_registry::workers::DetailForm {
        kind: "education".into(),
        code: "2".into(),
        institution: "Самарский государственный медицинский университет".into(),
        document_number: "106304 0012345".into(),
        specialty: "Лечебное дело".into(),
        date: "2008-06-30".into(),
        ..Default::default()
    };
    registry.add_worker_detail(&chief, &REAVIZ, nurse_id, &diploma).await.expect("education");
    let category = frmo_registry::workers::DetailForm {
        kind: "qualification".into(),
        code: "3".into(),
        specialty: "34".into(),
        date: "2023-01-10".into(),
        valid_until: "2022-01-10".into(),
        ..Default::default()
    };
    let refused = registry.add_worker_detail(&chief, &REAVIZ, nurse_id, &category).await;
    assert!(matches!(refused, Err(RegistryError::Invalid(e)) if e[0].field == "validUntil"));
    let category = frmo_registry::workers::DetailForm { valid_until: "2028-01-10".into(), ..category };
    registry.add_worker_detail(&chief, &REAVIZ, nurse_id, &category).await.expect("category");
    let view = registry.worker(&chief, &REAVIZ, nurse_id).await.expect("page");
    assert!(view.education[0].contains("высшее — специалитет: Самарский"), "{:?}", view.education);
    assert!(
        view.qualifications[0].starts_with("высшая категория по специальности «Сестринское дело»"),
        "{:?}",
        view.qualifications
    );

    // The check report: the expiring credential, and a likely duplicate (same name and birth date,
    // another СНИЛС).
    let twin =
        WorkerForm { snils: snils(3), department: "Приёмное отделение".into(), ..doctor.clone() };
    registry.add_worker(&chief, &REAVIZ, &twin).await.expect("twin");
    let check = registry.check_workers(&chief, &REAVIZ, 30).await.expect("check");
    assert_eq!(check.expiring.len(), 1);
    assert!(check.without_position.is_empty());
    assert_eq!(check.duplicates.len(), 1, "{:?}", check.duplicates);
    assert!(check.duplicates[0].contains("Смирнов Анна Сергеевна"), "{:?}", check.duplicates);

    // Dismissal.
    let card = line.card_id;
    let bad = registry.dismiss_worker(&chief, &REAVIZ, card, "2019-01-01", "3").await;
    assert!(matches!(bad, Err(RegistryError::Invalid(e)) if e[0].field == "endDate"));
    registry.dismiss_worker(&chief, &REAVIZ, card, "2026-10-31", "3").await.expect("dismiss");
    let again = registry.dismiss_worker(&chief, &REAVIZ, card, "2026-10-31", "3").await;
    assert!(matches!(again, Err(RegistryError::Conflict(_))));
    assert_eq!(by(WorkerFilter::default()).await, 2);
    assert_eq!(by(WorkerFilter { dismissed: true, ..Default::default() }).await, 3);
    // Who worked here on a date: the dismissed nurse did on 2026-10-31, not the day after.
    let on = |day| WorkerFilter { on: Some(day), ..Default::default() };
    assert_eq!(by(on(time::macros::date!(2026 - 10 - 31))).await, 3);
    assert_eq!(by(on(time::macros::date!(2026 - 11 - 01))).await, 2);
    assert_eq!(by(on(time::macros::date!(2019 - 01 - 01))).await, 0, "before anyone was hired");
    let closed = registry.edit_worker(&chief, &REAVIZ, card, &edited).await;
    assert!(matches!(closed, Err(RegistryError::Conflict(_))), "a dismissed card is not edited");
    let refused = registry.dismiss_worker(&unconfirmed, &REAVIZ, card, "2026-10-31", "3").await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::AccountNotConfirmed))));
}

fn csv(rows: usize, bad_record: Option<usize>) -> String {
    let mut text = String::from(
        "СНИЛС;Фамилия;Имя;Отчество;Пол;Дата рождения;Подразделение;Должность (код);Тип занятости (код);Ставка;Дата приёма;Специальность (код);Вид допуска (код);Номер сертификата или аккредитации;Дата выдачи;Действует до\r\n",
    );
    for i in 1..=rows {
        let mut number = snils(i as u32);
        if Some(i) == bad_record {
            let last = if number.ends_with('9') { '0' } else { '9' };
            number.pop();
            number.push(last);
        }
        text.push_str(&format!(
            "{number};Работник{};Иван;Иванович;м;01.02.1980;Отделение {};{};1;0,5;01.09.2020;2;4;A-{i};01.06.2022;01.06.2027\r\n",
            "а".repeat(i % 5 + 1),
            i % 12,
            i % 60 + 1
        ));
    }
    text
}

async fn an_import_with_one_bad_row_changes_nothing_and_names_it(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let chief = member(&registry, "1000299654", true).await;
    let rows = rows_from_csv(&csv(10_000, Some(7))).expect("a readable file");
    assert_eq!(rows.len(), 10_000);
    let report = registry.import_workers(&chief, &REAVIZ, rows).await.expect("import");
    assert!(!report.applied);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let error = &report.errors[0];
    assert_eq!((error.record, error.line, error.field), (7, 8, "snils"));
    assert!(error.message.contains("контрольное число"), "{}", error.message);
    assert!(report.errors_csv().contains("8;7;СНИЛС;неверное контрольное число"), "{}", report.errors_csv());
    let list = registry.workers(&chief, &REAVIZ, &WorkerFilter::default()).await.expect("list");
    assert!(list.lines.is_empty(), "nothing was imported");

    let report = registry.import_workers(&chief, &REAVIZ, rows_from_csv(&csv(10_000, None)).expect("file")).await;
    let report = report.expect("import");
    assert!(report.applied && report.errors.is_empty());
    assert_eq!((report.created, report.updated), (10_000, 0));
    // The same file again changes nothing new: every card is matched and updated in place.
    let again = registry.import_workers(&chief, &REAVIZ, rows_from_csv(&csv(10_000, None)).expect("file")).await;
    assert_eq!(again.expect("import").updated, 10_000);
    let list = registry.workers(&chief, &REAVIZ, &WorkerFilter::default()).await.expect("list");
    assert_eq!(list.lines.len(), 10_000);

    // Duplicates inside a file, a СНИЛС known with another birth date, a missing column.
    let mut text = csv(3, None);
    text.push_str(&format!("{};Двойник;Иван;;м;01.02.1980;Отделение 1;2;1;0,5;01.09.2020;;;;;\r\n", snils(1)));
    text.push_str(&format!("{};Другой;Пётр;;м;05.05.1990;Отделение 9;3;1;1;01.09.2020;;;;;\r\n", snils(2)));
    let report = registry.import_workers(&chief, &REAVIZ, rows_from_csv(&text).expect("file")).await;
    let report = report.expect("import");
    assert!(!report.applied);
    let lines: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.line, e.field)).collect();
    assert!(lines.contains(&(5, "snils")), "a duplicate of line 2: {lines:?}");
    assert!(lines.contains(&(6, "birthDate")), "another birth date than the register's: {lines:?}");
    let missing = rows_from_csv("СНИЛС;Фамилия\r\n1;2\r\n").expect_err("columns");
    assert!(missing[0].message.contains("Имя"), "{}", missing[0].message);

    // The export reads back as the same rows.
    let export = registry.export_workers_csv(&chief, &REAVIZ).await.expect("export");
    let back = rows_from_csv(&export).expect("the export is an import file");
    assert_eq!(back.len(), 10_000);
    let report = registry.import_workers(&chief, &REAVIZ, back).await.expect("re-import");
    assert_eq!((report.applied, report.created, report.updated), (true, 0, 10_000), "{:?}", report.errors.first());

    // The same through XLSX (typed dates, numbers and codes), and a PDF an independent reader reads.
    let xlsx = registry.export_workers_xlsx(&chief, &REAVIZ).await.expect("xlsx");
    let back = frmo_registry::workers::rows_from_file(&xlsx).expect("the workbook is an import file");
    assert_eq!(back.len(), 10_000);
    assert_eq!(back[0].1.begin_date, "01.09.2020", "a date cell reads as a date");
    let report = registry.import_workers(&chief, &REAVIZ, back).await.expect("re-import");
    assert_eq!((report.applied, report.created, report.updated), (true, 0, 10_000), "{:?}", report.errors.first());
    let pdf = registry.export_workers_pdf(&chief, &REAVIZ).await.expect("pdf");
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(dir.path().join("workers.pdf"), &pdf).expect("write");
    let text = std::process::Command::new("pdftotext")
        .arg(dir.path().join("workers.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) reads the PDF");
    let text = String::from_utf8_lossy(&text.stdout);
    let head: String = text.chars().take(400).collect();
    assert!(text.contains("Медицинские работники") && text.contains("Работникаа"), "{head}");
    assert!(text.contains("Страница 1 из"), "page numbers");
}

/// The chief of another (generated) organization: a person from ЕСИА whose role matches its ОГРН.
async fn chief_elsewhere(registry: &Registry) -> (Caller, OrgOid) {
    let page = super::search(registry, super::q("больница")).await.expect("search");
    let other = page.items.iter().find(|i| i.oid != REAVIZ_OID && i.ogrn.is_some()).expect("another hospital");
    let mut sign_in = esia_sign_in("2000300700", true, true);
    sign_in.user.snils = Some("112-233-445 96".into());
    sign_in.organizations = Some(vec![frmo_registry::identity::OrgRole {
        ogrn: other.ogrn.clone().expect("ОГРН"),
        inn: Some(other.inn.clone()),
        name: "Больница".into(),
        chief: true,
    }]);
    let session = registry.sign_in(sign_in).await.expect("sign in");
    (consenting(registry, &session).await, OrgOid::parse(&other.oid).expect("an OID"))
}

/// The import template's sheet to fill is empty (nothing is imported by mistake); its «Пример» row,
/// filled as the import reads it, imports as it is; «Справочники» lists the codes (read by openpyxl).
async fn the_import_template_carries_an_example_that_imports(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let chief = member(&registry, "1000299654", true).await;
    let template = frmo_registry::workers::template_xlsx().expect("template");
    assert!(frmo_registry::workers::rows_from_file(&template).expect("reads").is_empty());
    let columns = frmo_registry::workers::COLUMNS
        .iter()
        .map(|(_, title)| frmo_office::xlsx::Column { title: (*title).into(), width: 18.0 })
        .collect();
    let example = frmo_office::xlsx::Sheet {
        name: "Работники".into(),
        columns,
        rows: vec![frmo_registry::workers::template_example()],
    };
    let filled = frmo_office::xlsx::write(&[example]).expect("workbook");
    let rows = frmo_registry::workers::rows_from_file(&filled).expect("rows");
    let report = registry.import_workers(&chief, &REAVIZ, rows).await.expect("import");
    assert!(report.applied && report.created == 1, "{:?}", report.errors);

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("template.xlsx");
    std::fs::write(&path, &template).expect("write");
    let script = "import openpyxl,sys\nwb=openpyxl.load_workbook(sys.argv[1])\nprint('|'.join(wb.sheetnames))\n\
                  ref=wb['Справочники']\nprint(sum(1 for r in ref.iter_rows(min_row=2) if r[0].value=='Должность (код)'))";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&path).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Работники|Пример|Справочники"));
    let positions = frmo_domain::reference::get("positions").expect("positions").entries.len();
    assert_eq!(lines.next(), Some(positions.to_string().as_str()));
}

/// An accreditation that ended is «истёк», one ending soon «истекает»: the flags tell them apart.
async fn an_ended_accreditation_is_expired_not_expiring(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let chief = member(&registry, "1000299654", true).await;
    let mut ended = form(5, "Терапевтическое отделение", 42, "1");
    ended.specialty = "34".into();
    ended.credential_kind = "4".into();
    ended.credential_number = "7724 000000001".into();
    ended.credential_issued_on = "2019-06-01".into();
    ended.credential_valid_until = "2024-05-31".into();
    let id = registry.add_worker(&chief, &REAVIZ, &ended).await.expect("add");
    let view = registry.worker(&chief, &REAVIZ, id).await.expect("view");
    assert_eq!((view.credentials[0].expiring, view.credentials[0].expired), (true, true));
    assert!(view.cards[0].expired);
    let soon = time::OffsetDateTime::now_utc().date() + time::Duration::days(10);
    let mut current = form(6, "Терапевтическое отделение", 42, "1");
    current.specialty = "34".into();
    current.credential_kind = "4".into();
    current.credential_number = "7724 000000002".into();
    current.credential_issued_on = "2021-06-01".into();
    current.credential_valid_until = frmo_domain::date::iso(soon);
    let id = registry.add_worker(&chief, &REAVIZ, &current).await.expect("add");
    let view = registry.worker(&chief, &REAVIZ, id).await.expect("view");
    assert_eq!((view.credentials[0].expiring, view.credentials[0].expired), (true, false));
}

/// A viewer who sees a СНИЛС masked cannot recover it: no search by any of its digits, no lookup
/// by the whole number, no duplicate check by birth date — and the answers are the same whether
/// the СНИЛС is in the register or not.
async fn masked_personal_data_is_no_oracle(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let chief = member(&registry, "1000299654", true).await;
    registry.add_worker(&chief, &REAVIZ, &form(1, "Терапевтическое отделение", 42, "1")).await.expect("add");
    let twin = WorkerForm { snils: snils(2), ..form(1, "Приёмное отделение", 42, "1") };
    registry.add_worker(&chief, &REAVIZ, &twin).await.expect("add");
    let unconfirmed = member(&registry, "1000299655", false).await;
    let full = snils(1);
    // The two visible digits, then one more at a time: refused before any record is compared.
    for probe in [&full[9..], &full[8..], &full[6..], full.as_str(), "Петрова 12"] {
        let filter = WorkerFilter { q: probe.into(), ..WorkerFilter::default() };
        let refused = registry.workers(&unconfirmed, &REAVIZ, &filter).await;
        assert!(matches!(&refused, Err(RegistryError::Invalid(e)) if e[0].field == "q"), "{probe}: {refused:?}");
    }
    let by_name = WorkerFilter { q: "петрова".into(), ..WorkerFilter::default() };
    assert_eq!(registry.workers(&unconfirmed, &REAVIZ, &by_name).await.expect("by name").lines.len(), 2);
    // By the whole СНИЛС: the same «not found» as for a number nobody has.
    let not_found = |r: Result<(), RegistryError>, number: &str| match r {
        Err(RegistryError::NotFound(m)) => {
            m.replace(&frmo_domain::ident::Snils::parse(number).expect("snils").formatted(), "S")
        }
        other => panic!("{number}: {other:?}"),
    };
    let known = registry.worker_by_snils(&unconfirmed, &full).await.map(drop);
    let unknown = registry.worker_by_snils(&unconfirmed, &snils(77)).await.map(drop);
    assert_eq!(not_found(known, &full), not_found(unknown, &snils(77)));
    // The duplicate check does not compare birth dates for who may not read them.
    let check = registry.check_workers(&unconfirmed, &REAVIZ, 30).await.expect("check");
    assert!(check.duplicates.is_empty(), "{:?}", check.duplicates);
    let check = registry.check_workers(&chief, &REAVIZ, 30).await.expect("check");
    assert_eq!(check.duplicates.len(), 1, "{:?}", check.duplicates);
}

/// One organization never changes what another sees of a person they share by СНИЛС, and adding a
/// person tells nothing of other organizations' records (docs/workers.md).
async fn another_organization_cannot_overwrite_or_probe_a_person(backend: Backend) {
    let (_db, registry) = demo(backend, 60).await;
    let chief = member(&registry, "1000299654", true).await;
    let nurse = form(1, "Терапевтическое отделение", 42, "1");
    let nurse_id = registry.add_worker(&chief, &REAVIZ, &nurse).await.expect("add");
    let before = registry.worker(&chief, &REAVIZ, nurse_id).await.expect("view");

    let cleaner = WorkerForm { snils: snils(3), ..form(3, "Хозяйственная служба", 42, "1") };
    registry.add_worker(&chief, &REAVIZ, &cleaner).await.expect("add");

    let (other, other_oid) = chief_elsewhere(&registry).await;
    // A wrong birth date is not refused (a refusal would confirm the СНИЛС is in the register):
    // the other organization keeps its own record.
    let wrong = WorkerForm { birth_date: "1990-01-01".into(), last_name: "Иванова".into(), ..cleaner.clone() };
    registry.add_worker(&other, &other_oid, &wrong).await.expect("added elsewhere");
    // The right birth date with other name and contacts: stored in their record, not in ours.
    let overwrite = WorkerForm {
        last_name: "Подменная".into(),
        phone: "+7 999 000-00-00".into(),
        email: "attacker@example.ru".into(),
        document: "паспорт 0000 000000".into(),
        department: "Хирургия".into(),
        ..nurse.clone()
    };
    let theirs = registry.add_worker(&other, &other_oid, &overwrite).await.expect("added elsewhere");
    let mut detail = frmo_registry::workers::DetailForm {
        kind: "education".into(),
        code: "2".into(),
        institution: "Подложный институт".into(),
        document_number: "1".into(),
        specialty: "Лечебное дело".into(),
        date: "2008-06-30".into(),
        ..Default::default()
    };
    registry.add_worker_detail(&other, &other_oid, theirs, &detail).await.expect("their record");
    let after = registry.worker(&chief, &REAVIZ, nurse_id).await.expect("view");
    assert_eq!(
        (&after.name, &after.phone, &after.email, &after.document, &after.birth_date, &after.education),
        (&before.name, &before.phone, &before.email, &before.document, &before.birth_date, &before.education),
        "our view of the person is unchanged"
    );
    let seen = registry.worker(&other, &other_oid, theirs).await.expect("their view");
    assert_eq!((seen.name.as_str(), seen.phone.as_str()), ("Подменная Анна Сергеевна", "+7 999 000-00-00"));
    // They cannot reach our record by its id, nor add to it.
    assert!(matches!(registry.worker(&other, &other_oid, nurse_id).await, Err(RegistryError::NotFound(_))));
    detail.institution = "Ещё один".into();
    let refused = registry.add_worker_detail(&other, &other_oid, nurse_id, &detail).await;
    assert!(matches!(refused, Err(RegistryError::NotFound(_))));
    assert!(registry.worker(&other, &REAVIZ, nurse_id).await.is_err());
    // By СНИЛС each sees only their own organization's cards.
    let ours = registry.worker_by_snils(&chief, &snils(1)).await.expect("ours");
    assert!(ours.cards.iter().all(|c| c.department == "Терапевтическое отделение"), "{:?}", ours.cards);
    let mine = registry.worker_by_snils(&other, &snils(1)).await.expect("theirs");
    assert_eq!(mine.cards.len(), 1);
    assert_eq!(mine.name, "Подменная Анна Сергеевна");
    // The federal view (CLI, administrators) joins both employers' records by СНИЛС.
    let all = registry.worker_by_snils(&Caller::system("t-all"), &snils(1)).await.expect("all");
    assert_eq!(all.cards.len(), 2);
    for oid in [REAVIZ_OID, other_oid.as_str()] {
        let journal = registry.journal_of(oid, 50).await.expect("journal");
        let read = journal.iter().any(|r| r.kind == "personal_data" && r.request_id == "t-all");
        assert!(read, "{oid}'s journal shows its record was read");
    }
    let all = registry.worker_by_snils(&Caller::system("t"), &snils(3)).await.expect("all");
    assert_eq!(all.cards.len(), 2);
}

backend_tests!(
    workers_are_added_listed_with_masked_personal_data_and_dismissed,
    an_import_with_one_bad_row_changes_nothing_and_names_it,
    masked_personal_data_is_no_oracle,
    an_ended_accreditation_is_expired_not_expiring,
    the_import_template_carries_an_example_that_imports,
    another_organization_cannot_overwrite_or_probe_a_person,
);
