//! The public card as a printable PDF (A4, Cyrillic font embedded): requisites, structure (departments,
//! hospital subdivisions with their beds, buildings), licences, and the date it is as of.

use frmo_domain::access::Actor;
use frmo_domain::date::{format as format_date, moscow_time};
use frmo_domain::ident::OrgOid;
use frmo_domain::reference;
use time::Date;

use crate::workers::office_error;
use crate::{Registry, Result};

fn name_in(directory: &str, id: u32) -> String {
    reference::get(directory).and_then(|d| d.name_of(id).map(str::to_owned)).unwrap_or_else(|| id.to_string())
}

impl Registry {
    /// The public card of `oid` (as of `as_of`, or now) as a PDF; the current public documents are
    /// listed on the current card only, as on the page.
    pub async fn card_pdf(&self, actor: &Actor, oid: &OrgOid, as_of: Option<Date>) -> Result<Vec<u8>> {
        let card = self.card(actor, oid, as_of).await?;
        let org = &card.organization;
        let documents = if as_of.is_none() { self.public_documents(&org.oid).await? } else { Vec::new() };
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut row = |label: &str, value: String| {
            if !value.is_empty() {
                rows.push(vec![label.to_owned(), value]);
            }
        };
        row("Полное наименование", org.name_full.clone());
        row("OID", org.oid.as_str().to_owned());
        row("ИНН", org.inn.as_str().to_owned());
        row("ОГРН", org.ogrn.as_ref().map(|o| o.as_str().to_owned()).unwrap_or_default());
        row("ОГРНИП", org.ogrnip.as_ref().map(|o| o.as_str().to_owned()).unwrap_or_default());
        row("КПП", org.kpp.as_ref().map(|k| k.as_str().to_owned()).unwrap_or_default());
        row("Тип организации", name_in("organization_types", org.organization_type_id));
        row("Регион", org.region_id.name().to_owned());
        row("Статус", org.status.label().to_owned());
        row("Дата создания", format_date(org.create_date));
        row("Юридический адрес", org.legal_address.text.clone());
        row("Фактический адрес", org.actual_address.as_ref().map(|a| a.text.clone()).unwrap_or_default());
        row("Руководитель", org.head_full_name.clone().unwrap_or_default());
        row("Телефон", org.contacts.phone.clone().unwrap_or_default());
        row("Электронная почта", org.contacts.email.clone().unwrap_or_default());
        row("Сайт", org.contacts.site.clone().unwrap_or_default());
        for department in org.departments.iter().filter(|d| d.liquidation_date.is_none()) {
            row("Отделение", format!("{} ({})", department.depart_name, department.oid.as_str()));
            for subdivision in department.hospital_subdivisions.iter().filter(|s| s.liquidation_date.is_none()) {
                let beds: Vec<String> = subdivision
                    .beds
                    .iter()
                    .map(|b| format!("{}: {}", name_in("bed_profiles", b.bed_profile_id), b.bed_count))
                    .collect();
                row("  Подразделение", format!("{}; койки — {}", subdivision.subdivision_name, beds.join(", ")));
            }
        }
        for building in &org.buildings {
            row("Здание", format!("{}, {}", building.build_name, building.address.text));
        }
        for licence in &org.licences {
            let end = licence.license_end.map_or_else(|| "бессрочно".to_owned(), format_date);
            row(
                "Лицензия",
                format!(
                    "№ {} от {}, до {end}; {}",
                    licence.license_number,
                    format_date(licence.license_date),
                    licence.licenser
                ),
            );
        }
        for document in &documents {
            let until = document.valid_until.clone().unwrap_or_else(|| "бессрочно".to_owned());
            row(
                "Документ",
                format!(
                    "{} № {} от {}, до {until} ({})",
                    document.kind_name,
                    document.number,
                    document.issued_on,
                    document.status.label()
                ),
            );
        }
        let as_of_label =
            as_of.map_or_else(|| "текущее состояние".to_owned(), |d| format!("по состоянию на {}", format_date(d)));
        let table = frmo_office::pdf::Table {
            title: org.name_short.clone(),
            subtitle: vec![
                format!("Карточка медицинской организации, {as_of_label}"),
                format!("Сформировано {}", moscow_time(self.now())),
            ],
            columns: vec![("Сведения".into(), 1.0), ("Значение".into(), 2.6)],
            rows,
            landscape: false,
        };
        frmo_office::pdf::table(&table).map_err(office_error)
    }
}
