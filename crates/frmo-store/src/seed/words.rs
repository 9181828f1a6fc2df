//! The generator's words: organization templates (name, agency kind, ownership, beds, frequency),
//! brands, people's names, streets, districts, licensed works and the regions' capitals. Data, not
//! logic: the generator in `mod.rs` draws from it.

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ownership {
    State,
    Municipal,
    Private,
    Entrepreneur,
}

pub(super) struct Template {
    pub(super) name: &'static str,
    /// Start of the agency kind's name in the directory.
    pub(super) kind: &'static str,
    pub(super) ownership: Ownership,
    pub(super) numbered: bool,
    pub(super) hospital: bool,
    pub(super) weight: u32,
}

/// (name, agency kind, ownership, numbered «№ N», has beds, relative frequency)
const fn template(
    name: &'static str,
    kind: &'static str,
    ownership: Ownership,
    numbered: bool,
    hospital: bool,
    weight: u32,
) -> Template {
    Template { name, kind, ownership, numbered, hospital, weight }
}

pub(super) const TEMPLATES: &[Template] = &[
    template("Городская больница", "Больница", Ownership::State, true, true, 6),
    template("Городская клиническая больница", "Больница", Ownership::State, true, true, 3),
    template("Детская городская больница", "Больница", Ownership::State, true, true, 1),
    template("Городская поликлиника", "Поликлиника", Ownership::State, true, false, 10),
    template("Детская городская поликлиника", "Поликлиника", Ownership::State, true, false, 5),
    template("Центральная районная больница", "Больница", Ownership::Municipal, false, true, 8),
    template("Областная клиническая больница", "Больница", Ownership::State, false, true, 1),
    template("Стоматологическая поликлиника", "Поликлиника", Ownership::State, true, false, 4),
    template("Родильный дом", "Родильный дом", Ownership::State, true, true, 2),
    template("Онкологический диспансер", "Диспансер", Ownership::State, false, true, 1),
    template("Психоневрологический диспансер", "Диспансер", Ownership::State, false, true, 1),
    template("Противотуберкулёзный диспансер", "Диспансер", Ownership::State, false, true, 1),
    template("Станция скорой медицинской помощи", "Станция скорой", Ownership::State, false, false, 1),
    template("Врачебная амбулатория", "Амбулатория", Ownership::Municipal, true, false, 4),
    template("Медицинский центр", "Поликлиника", Ownership::Private, false, false, 14),
    template("Клиника", "Поликлиника", Ownership::Private, false, false, 6),
    template("Стоматологическая клиника", "Поликлиника", Ownership::Private, false, false, 8),
    template("Частная медицинская практика", "Амбулатория", Ownership::Entrepreneur, false, false, 4),
];

pub(super) const BRANDS: &[&str] = &[
    "Здоровье",
    "Медлайф",
    "Доктор Плюс",
    "Семейный доктор",
    "Авиценна",
    "Гиппократ",
    "Мать и дитя",
    "Панацея",
    "Династия",
    "Эскулап",
    "Кристалл",
    "Альфа-Мед",
    "Ваш доктор",
    "Медис",
    "Пульс",
    "Белая роза",
    "Улыбка",
    "Сфера",
    "Надежда",
    "Виталис",
    "Оптима",
    "Нео-Мед",
    "Консилиум",
    "Линия жизни",
    "Меридиан",
    "Новамед",
];
pub(super) const SURNAMES: &[&str] = &[
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
];
pub(super) const FIRST_NAMES: &[&str] =
    &["Александр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Михаил", "Игорь", "Владимир"];
pub(super) const PATRONYMICS: &[&str] =
    &["Александрович", "Сергеевич", "Андреевич", "Викторович", "Николаевич", "Петрович"];
pub(super) const STREETS: &[&str] = &[
    "Ленина",
    "Советская",
    "Гагарина",
    "Мира",
    "Пушкина",
    "Молодёжная",
    "Школьная",
    "Садовая",
    "Лесная",
    "Центральная",
    "Кирова",
    "Октябрьская",
    "Победы",
    "Набережная",
    "Чехова",
    "Мичурина",
    "Строителей",
];
pub(super) const DISTRICTS: &[&str] = &[
    "Заречная",
    "Приозёрная",
    "Северная",
    "Луговская",
    "Берёзовская",
    "Каменская",
    "Никольская",
    "Сосновская",
    "Октябрьская",
    "Покровская",
    "Троицкая",
    "Знаменская",
    "Красногорская",
    "Ивановская",
    "Ольховская",
];
pub(super) const WORKS: &[(&str, &[&str])] = &[
    (
        "При оказании первичной доврачебной медико-санитарной помощи в амбулаторных условиях по:",
        &["вакцинации (проведению профилактических прививок)", "лабораторной диагностике", "сестринскому делу"],
    ),
    (
        "При оказании первичной специализированной медико-санитарной помощи в амбулаторных условиях по:",
        &["кардиологии", "неврологии", "оториноларингологии", "офтальмологии", "хирургии", "эндокринологии"],
    ),
    (
        "При оказании специализированной медицинской помощи в стационарных условиях по:",
        &["анестезиологии и реаниматологии", "терапии", "травматологии и ортопедии", "хирургии"],
    ),
    ("При проведении медицинских экспертиз по:", &["экспертизе временной нетрудоспособности"]),
];

/// Capitals of the subjects, for realistic addresses; a region not listed gets a generic town name.
pub(super) fn capital(region: u8) -> &'static str {
    match region {
        1 => "Майкоп",
        2 => "Уфа",
        3 => "Улан-Удэ",
        5 => "Махачкала",
        10 => "Петрозаводск",
        11 => "Сыктывкар",
        13 => "Саранск",
        14 => "Якутск",
        16 => "Казань",
        18 => "Ижевск",
        21 => "Чебоксары",
        22 => "Барнаул",
        23 => "Краснодар",
        24 => "Красноярск",
        25 => "Владивосток",
        26 => "Ставрополь",
        27 => "Хабаровск",
        29 => "Архангельск",
        31 => "Белгород",
        34 => "Волгоград",
        36 => "Воронеж",
        38 => "Иркутск",
        39 => "Калининград",
        42 => "Кемерово",
        43 => "Киров",
        47 => "Гатчина",
        50 => "Красногорск",
        52 => "Нижний Новгород",
        54 => "Новосибирск",
        55 => "Омск",
        56 => "Оренбург",
        59 => "Пермь",
        61 => "Ростов-на-Дону",
        63 => "Самара",
        64 => "Саратов",
        66 => "Екатеринбург",
        70 => "Томск",
        71 => "Тула",
        72 => "Тюмень",
        73 => "Ульяновск",
        74 => "Челябинск",
        76 => "Ярославль",
        77 => "Москва",
        78 => "Санкт-Петербург",
        86 => "Ханты-Мансийск",
        91 => "Симферополь",
        92 => "Севастополь",
        _ => "Центральный",
    }
}
