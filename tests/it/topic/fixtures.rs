//! Fixtures of the topic tests: news items shaped like entries of real feeds, and
//! named topics (including a cycle and a broken one).

use std::collections::BTreeMap;

use feedbraid::topic::ItemFields;

/// News items, shaped like entries of real feeds, each with a short name.
pub fn items() -> Vec<(&'static str, ItemFields)> {
    let item = |title: &str, text: &str, categories: &[&str], author: &str| ItemFields {
        title: title.into(),
        text: text.into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        author: author.into(),
        ..ItemFields::default()
    };
    let from = |mut fields: ItemFields, source: &str, tags: &[&str], domain: &str| {
        fields.source = source.into();
        fields.tags = tags.iter().map(|t| t.to_string()).collect();
        fields.domain = domain.into();
        fields
    };
    vec![
        (
            "talks",
            from(
                item(
                    "Iran and US resume nuclear talks in Oman",
                    "Negotiators from Tehran and Washington met on Sunday to discuss sanctions relief.",
                    &["World", "Middle East"],
                    "Parisa Hafezi",
                ),
                "reuters-world",
                &["world", "wire"],
                "www.reuters.com",
            ),
        ),
        (
            "oil",
            from(
                item(
                    "Iranian oil exports hit a five-year high",
                    "Tankers loaded crude at Kharg Island as sanctions on Tehran eased.",
                    &["Business", "Energy"],
                    "Staff",
                ),
                "bbc-business",
                &["business"],
                "www.bbc.co.uk",
            ),
        ),
        (
            "turkiye",
            from(
                item(
                    "Türkiye and China sign trade deal",
                    "Ankara and Beijing agreed to cut tariffs on steel.",
                    &["Economy"],
                    "Ayşe Yılmaz",
                ),
                "dawn-world",
                &["world", "asia"],
                "www.dawn.com",
            ),
        ),
        (
            "urdu",
            from(
                item(
                    "ایران اور پاکستان کے درمیان تجارتی معاہدہ",
                    "اسلام آباد میں ایرانی وزیر خارجہ نے ملاقات کی",
                    &["دنیا"],
                    "",
                ),
                "urdupoint-world",
                &["world", "pakistan"],
                "www.urdupoint.com",
            ),
        ),
        (
            "cricket",
            from(
                item(
                    "Pakistan beat England in the third Test",
                    "Babar Azam scored a century in Karachi as the crowd cheered.",
                    &["Sport", "Cricket"],
                    "Sports Desk",
                ),
                "dawn-sport",
                &["sport", "pakistan"],
                "dawn.com",
            ),
        ),
        (
            "chinese",
            from(
                item(
                    "中国与伊朗签署贸易协定",
                    "北京和德黑兰同意扩大石油贸易。",
                    &["国际"],
                    "",
                ),
                "xinhua-cn",
                &["asia"],
                "www.news.cn",
            ),
        ),
        (
            "football",
            from(
                item(
                    "Iran qualify for the World Cup",
                    "Team Melli beat Uzbekistan 2-0 in Tehran on Tuesday.",
                    &["Sport", "Football"],
                    "BBC Sport",
                ),
                "bbc-sport",
                &["sport"],
                "bbc.co.uk",
            ),
        ),
    ]
}

pub fn topics() -> BTreeMap<String, String> {
    [
        ("gulf", "iran* OR iraq OR saudi*"),
        ("energy", r#"oil OR crude OR "natural gas""#),
        ("gulf_energy", "@gulf AND @energy"),
        ("a", "@b"),
        ("b", "@a"),
        ("broken", "iran AND"),
        ("sourced", "source:dawn-world"),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_owned(), text.to_owned()))
    .collect()
}
