//! News vocabulary for the syndicated-corpus generator (`corpus.rs`): the places,
//! people, topics, sentence templates and synonyms that wire stories and their
//! reworded copies are built from. Written for this project; every outlet, agency
//! link and name is invented.
#![allow(dead_code)]

/// Countries and territories: the topic words unrelated stories share.
pub const COUNTRIES: &[&str] = &[
    "Iran",
    "Israel",
    "the United States",
    "Russia",
    "Ukraine",
    "China",
    "Pakistan",
    "India",
    "Saudi Arabia",
    "Turkey",
    "Qatar",
    "Egypt",
    "Oman",
    "Iraq",
    "Syria",
    "Lebanon",
    "Taiwan",
    "Japan",
    "Germany",
    "France",
    "Britain",
    "Afghanistan",
    "Yemen",
    "Sudan",
    "Ethiopia",
    "Brazil",
    "Mexico",
    "Venezuela",
    "South Korea",
    "North Korea",
];

/// Cities where talks, strikes and summits happen.
pub const CITIES: &[&str] = &[
    "Tehran",
    "Jerusalem",
    "Washington",
    "Moscow",
    "Kyiv",
    "Beijing",
    "Islamabad",
    "New Delhi",
    "Riyadh",
    "Ankara",
    "Doha",
    "Cairo",
    "Muscat",
    "Baghdad",
    "Damascus",
    "Beirut",
    "Geneva",
    "Vienna",
    "Brussels",
    "Istanbul",
    "Karachi",
    "Lahore",
    "Kabul",
    "Khartoum",
    "Addis Ababa",
];

pub const FIRST_NAMES: &[&str] = &[
    "Ali", "Hassan", "Maria", "John", "Li", "Sergei", "Fatima", "Ahmed", "David", "Olena", "Kenji",
    "Amina", "Carlos", "Ivan", "Mehmet", "Sara", "Omar", "Anna", "Rajesh", "Nadia",
];

pub const LAST_NAMES: &[&str] = &[
    "Rahimi",
    "Khan",
    "Petrov",
    "Wang",
    "Haddad",
    "Kowalski",
    "Okafor",
    "Tanaka",
    "Novak",
    "Farouk",
    "Moreno",
    "Sharma",
    "Yilmaz",
    "Kuznetsova",
    "Mansour",
    "Becker",
    "Qureshi",
    "Hosseini",
    "Levy",
    "Dubois",
];

pub const ROLES: &[&str] = &[
    "foreign minister",
    "president",
    "prime minister",
    "defence minister",
    "army chief",
    "government spokesperson",
    "central bank governor",
    "finance minister",
    "energy minister",
    "chief negotiator",
    "UN envoy",
    "interior minister",
];

/// Story topics; each family of confusers shares one.
pub const TOPICS: &[&str] = &[
    "ceasefire talks",
    "nuclear talks",
    "sanctions",
    "trade deal",
    "tariffs",
    "election",
    "oil exports",
    "interest rates",
    "protests",
    "military drills",
    "prisoner exchange",
    "hostage release",
    "drone strikes",
    "border clashes",
    "aid convoys",
    "peace plan",
    "gas pipeline",
    "arms deal",
    "debt talks",
    "refugee crisis",
];

/// What happened to the topic: the verb of a headline.
pub const EVENTS: &[&str] = &[
    "resume",
    "collapse",
    "stall",
    "advance",
    "are extended",
    "are suspended",
    "face delay",
    "win approval",
    "draw criticism",
    "are expanded",
    "are cut back",
    "end abruptly",
];

pub const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Headline templates. Slots: {a} {b} country, {city}, {topic}, {event},
/// {person}, {role}, {n} number.
pub const TITLES: &[&str] = &[
    "{a} and {b} {topic} {event} in {city}",
    "{a}, {b} {topic} {event} after {n} days",
    "{topic} between {a} and {b} {event}, {role} says",
    "{a} {role} {person} says {topic} with {b} {event}",
    "{topic} {event} as {a} and {b} meet in {city}",
    "{a} warns {b} as {topic} {event}",
    "{n} dead as {topic} {event} near {city}",
    "{person}: {topic} with {b} {event} in {city}",
];

/// Lead sentences: the first sentence of a wire story.
pub const LEADS: &[&str] = &[
    "{a} and {b} {topic} {event} in {city} on {day}, {person} said, adding that {n} delegates had attended the latest round.",
    "{a}'s {role} {person} said on {day} that {topic} with {b} {event}, after {n} days of closed-door meetings in {city}.",
    "{topic} between {a} and {b} {event} on {day}, {n} diplomats familiar with the matter told reporters in {city}.",
    "At least {n} people were killed on {day} as {topic} between {a} and {b} {event} near {city}, local authorities said.",
    "{a} on {day} accused {b} of undermining {topic}, which {event} in {city} after {n} hours of talks, {person} said.",
    "Delegations from {a} and {b} met in {city} on {day} as {topic} {event}, {person} told state media, citing {n} points of disagreement.",
];

/// Body sentences: details that follow the lead.
pub const BODIES: &[&str] = &[
    "The {role} {person} told a news conference that the next round would take place within {n} weeks.",
    "{person}, the {role} of {a}, described the meeting as constructive but warned that serious gaps remained.",
    "Officials in {b} did not immediately respond to a request for comment on {day}.",
    "Markets reacted swiftly, with the currency of {a} falling {n} percent against the dollar in early trading.",
    "Analysts said the outcome in {city} would test the resolve of both governments ahead of the winter.",
    "A senior official from {b}, speaking on condition of anonymity, said {n} proposals were still on the table.",
    "The talks in {city} were mediated by {c}, which has hosted several rounds since last year.",
    "Residents of {city} reported heavy security and road closures around the venue on {day}.",
    "{person} said {a} was ready to continue if {b} showed what he called genuine commitment.",
    "Oil prices rose about {n} percent after the news, reflecting fears of supply disruption in the region.",
    "Parliament in {a} is expected to debate the proposals next week, lawmakers said.",
    "The {role} of {c} said his country stood ready to help bridge the differences between the two sides.",
    "Earlier this month {n} people were detained during protests against the government in {city}.",
    "Shipping companies said they had rerouted {n} vessels while the situation remained unclear.",
    "Human rights groups said the deal failed to address the fate of {n} detainees.",
];

/// Sentences a family of stories repeats: the wire's boilerplate background.
pub const BACKGROUNDS: &[&str] = &[
    "{a} and {b} have had no formal diplomatic relations for decades and have long traded accusations over regional security.",
    "Relations between {a} and {b} have been strained since a dispute over {topic} erupted last year.",
    "{a} has repeatedly denied the accusations, saying its programme is entirely peaceful.",
    "The conflict has killed thousands of people and displaced millions since it began.",
    "{c} has acted as a mediator between {a} and {b} on several occasions in the past.",
    "The United Nations urged restraint and called on both sides to protect civilians and infrastructure.",
];

/// Words outlets swap when they reword a copy: (word, replacement).
pub const SYNONYMS: &[(&str, &str)] = &[
    ("said", "stated"),
    ("talks", "negotiations"),
    ("killed", "left dead"),
    ("people", "persons"),
    ("officials", "authorities"),
    ("meeting", "session"),
    ("warned", "cautioned"),
    ("accused", "blamed"),
    ("told", "informed"),
    ("reporters", "journalists"),
    ("proposals", "offers"),
    ("ready", "prepared"),
    ("continue", "carry on"),
    ("rose", "climbed"),
    ("falling", "dropping"),
    ("detained", "arrested"),
    ("resume", "restart"),
    ("collapse", "break down"),
    ("stall", "stall again"),
    ("next", "following"),
    ("statement", "communique"),
    ("heavy", "tight"),
    ("swiftly", "quickly"),
    ("serious", "significant"),
];

/// Words outlets insert while editing.
pub const INSERTIONS: &[&str] = &[
    "also",
    "reportedly",
    "officially",
    "again",
    "late",
    "on Monday",
    "publicly",
    "sharply",
];

/// Outlet names, as they appear in title suffixes.
pub const OUTLETS: &[&str] = &[
    "Reuters",
    "AFP",
    "The Daily Courier",
    "Gulf Observer",
    "Dawn",
    "Evening Standard Online",
    "Al Sharq",
    "Tribune",
    "The National Herald",
    "Asia Wire",
    "Morning Post",
    "Capital News",
    "Frontier Times",
    "The Metro",
    "Global Monitor",
    "Continental Daily",
    "Star Online",
    "Northern Gazette",
    "Harbour Times",
    "The Ledger",
];

/// Headline labels wire services put in front.
pub const TITLE_PREFIXES: &[&str] = &[
    "UPDATE 1-",
    "UPDATE 2-",
    "UPDATE 3-",
    "BREAKING: ",
    "EXCLUSIVE-",
    "UPDATE: ",
    "WRAPUP 1-",
];

/// Credit lines at the end of wire copy.
pub const CREDITS: &[&str] = &[
    "Reporting by {person}; Editing by {editor}",
    "Writing by {person}; Editing by {editor}",
    "(Reporting by {person} in {city}; Additional reporting by {editor})",
];

/// Lines outlets append after the story.
pub const FOOTERS: &[&str] = &[
    "Follow us on social media for the latest updates.",
    "This story has been published from a wire agency feed without modifications to the text.",
    "Copyright all rights reserved. This material may not be published, broadcast or redistributed.",
];
