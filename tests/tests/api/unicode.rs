//! Text of every kind in every text argument of the schema: the arguments of
//! `signUp`, `signIn`, `changePassword`, `deleteAccount`, `updateProfile`,
//! `createPost`, `createStory`, `searchUsers`, the ids and usernames that
//! name things, and every `after` cursor.
//!
//! Each string of the corpus (scripts, combining marks, emoji sequences,
//! invisible and control characters, NUL, strings just over each limit and of
//! about 100 KB, SQL and markup fragments) must be either stored and read back
//! through the API byte for byte (after the documented trimming of captions,
//! descriptions and usernames and lower-casing of emails), or refused with
//! `BAD_USER_INPUT` naming the argument in `extensions.field`, with no row
//! changed. Lone surrogates, which JSON can spell but UTF-8 cannot hold, are
//! sent as raw bodies and refused before anything runs.

use std::{collections::HashSet, sync::LazyLock};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use instanext_tests::{ATTEMPTS_TABLE, Account, Fingerprint, PASSWORD, TestApp, usernames};
use serde_json::{Value, json};

const MAX_CAPTION_CHARS: usize = 2_200;
const MAX_DESCRIPTION_CHARS: usize = 500;
const MAX_URL_BYTES: usize = 2_048;
const MAX_SEARCH_CHARS: usize = 64;
const PICTURE: &str = "https://img.example.com/picture.jpg";

/// The strings sent to every text argument, with a label for messages.
fn corpus() -> Vec<(&'static str, String)> {
    let plain = [
        ("plain ASCII", "Hello, world"),
        ("ASCII punctuation", "!#$&()*+,-./:;<=>?@[]^`{|}~"),
        ("a valid username", "plain_ascii.1"),
        (
            "accented, precomposed",
            "Caf\u{e9} \u{c5}ngstr\u{f6}m na\u{ef}ve",
        ),
        (
            "accented, decomposed",
            "Cafe\u{301} A\u{30a}ngstro\u{308}m nai\u{308}ve",
        ),
        (
            "stacked combining marks",
            "Z\u{351}\u{36b}\u{343}a\u{34d}\u{31f}l\u{316}g\u{33c}o\u{35a}",
        ),
        ("a lone combining mark", "\u{301}"),
        ("CJK", "漢字かなカナ한국어"),
        ("Arabic", "مرحبا بالعالم"),
        ("Hebrew", "שלום עולם"),
        ("mixed directions", "abc مرحبا 123 שלום def"),
        ("bidi override", "\u{202e}gnp.exe\u{202c}"),
        ("emoji", "😀🎉🚀"),
        ("emoji ZWJ family", "👩\u{200d}👩\u{200d}👧\u{200d}👦"),
        ("emoji skin tones", "👍🏽👋🏿"),
        ("flags", "🇫🇷🇯🇵🏳\u{fe0f}\u{200d}🌈"),
        ("keycaps", "1\u{fe0f}\u{20e3}#\u{fe0f}\u{20e3}"),
        (
            "zero-width characters",
            "a\u{200b}b\u{200c}c\u{200d}d\u{2060}e",
        ),
        ("only a zero-width space", "\u{200b}"),
        ("leading BOM", "\u{feff}text after a BOM"),
        ("inner BOM", "mid\u{feff}dle"),
        ("control characters", "bell\u{7}back\u{8}esc\u{1b}del\u{7f}"),
        ("C1 controls", "c1\u{80}\u{9f}"),
        ("line breaks and tabs", "line\nbreak\r\ntab\tend"),
        ("Unicode separators", "para\u{2029}line\u{2028}end"),
        ("NUL inside", "before\u{0}after"),
        ("only NUL", "\u{0}"),
        ("surrounding spaces", "  padded  "),
        ("Unicode spaces", "\u{3000}ideographic\u{a0}nbsp\u{2003}"),
        ("empty", ""),
        ("blank", "   "),
        ("noncharacters", "\u{fdd0}\u{fffe}\u{ffff}\u{10ffff}"),
        ("astral letters", "𝕳𝖊𝖑𝖑𝖔 𐍈 𓀀"),
        ("replacement character", "\u{fffd}"),
        ("dotted capital I", "İstanbul"),
        ("Kelvin sign", "\u{212a}elvin"),
        ("sharp s", "Stra\u{df}e STRASSE"),
        ("SQL injection", "'; DROP TABLE users; --"),
        ("SQL quoting", "Robert'); DELETE FROM posts WHERE ('1'='1"),
        ("LIKE wildcards", "100% _match_"),
        ("percent", "%"),
        ("underscore", "_"),
        ("backslashes", "back\\slash \\\\ \\% \\_ \\x00 \\u0000"),
        ("quotes", "\"double\" 'single' `back`"),
        ("JSON", "{\"a\": [1, 2], \"b\": null}"),
        ("GraphQL", "{ me { id } } mutation { signOut }"),
        ("script tag", "<script>alert(1)</script>"),
        ("HTML entities", "&lt;b&gt; &amp; &#0; &#x0; &nbsp;"),
        ("attribute injection", "\" onerror=\"alert(1)"),
        ("format strings", "%s %n %x {0} ${x} {{x}}"),
        ("path traversal", "../../etc/passwd"),
    ];
    let mut corpus: Vec<(&'static str, String)> = plain
        .into_iter()
        .map(|(label, text)| (label, text.to_owned()))
        .collect();
    corpus.push(("100 KB of ASCII", "a".repeat(100_000)));
    corpus.push(("about 100 KB of mixed scripts", "é漢😀".repeat(11_000)));
    corpus
}

/// Strings at and just over a limit of `limit` units of `unit`, bare and
/// padded with white space (which does not count, as it is trimmed).
fn around(limit: usize, unit: &str) -> Vec<(&'static str, String)> {
    vec![
        ("at the limit", unit.repeat(limit)),
        ("one over the limit", unit.repeat(limit + 1)),
        (
            "at the limit, padded",
            format!(" \n{}\t ", unit.repeat(limit)),
        ),
    ]
}

/// The 10,000 common passwords that `signUp` refuses.
static COMMON_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../../api/data/common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
});

fn acceptable_password(password: &str) -> bool {
    (8..=72).contains(&password.len())
        && !password.contains('\0')
        && !COMMON_PASSWORDS.contains(&password.to_lowercase())
}

/// What trimming keeps of a caption or description, if it fits `limit`.
fn trimmed_within(text: &str, limit: usize) -> Option<String> {
    let trimmed = text.trim();
    (trimmed.chars().count() <= limit && !trimmed.contains('\0')).then(|| trimmed.to_owned())
}

/// An answer, and the tables the request changed.
struct Answer {
    response: Value,
    changed: Vec<&'static str>,
}

impl Answer {
    fn accepted(&self) -> bool {
        self.response.get("errors").is_none()
    }

    fn codes(&self) -> Vec<&str> {
        self.response["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|error| error["extensions"]["code"].as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks that the request was refused as bad input about `field`, and
    /// changed nothing.
    fn assert_refused(&self, field: &str, what: &str) {
        let errors = self.response["errors"].as_array();
        let about_field = errors.is_some_and(|errors| {
            !errors.is_empty()
                && errors.iter().all(|error| {
                    error["extensions"]["code"] == "BAD_USER_INPUT"
                        && error["extensions"]["field"] == field
                })
        });
        assert!(
            about_field,
            "{what}: expected BAD_USER_INPUT on `{field}`, got {}",
            self.short()
        );
        self.assert_unchanged(what);
    }

    fn assert_unchanged(&self, what: &str) {
        assert!(
            self.changed.is_empty(),
            "{what}: {:?} changed: {}",
            self.changed,
            self.short()
        );
    }

    /// The response, cut short for messages about 100 KB strings.
    fn short(&self) -> String {
        self.response.to_string().chars().take(600).collect()
    }
}

/// Posts an operation from an address of its own and reports what it
/// changed. A refused attempt to sign in, sign up or confirm a password is
/// meant to be counted, so the attempts table is not reported for those.
async fn send(app: &TestApp, query: &str, variables: Value, token: Option<&str>) -> Answer {
    let before = Fingerprint::of(&app.db).await;
    let address = app.fresh_address();
    let response = app
        .gql_with(query, variables, token, &[("x-forwarded-for", &address)])
        .await;
    let after = Fingerprint::of(&app.db).await;
    let attempts = ["signIn", "signUp", "changePassword", "deleteAccount"]
        .iter()
        .any(|field| query.contains(field));
    let changed = after
        .changed_since(&before)
        .into_iter()
        .filter(|table| !(attempts && *table == ATTEMPTS_TABLE))
        .collect();
    Answer { response, changed }
}

/// Signs in from an address of its own, so that the failures the tests
/// provoke never block an address.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    let address = app.fresh_address();
    app.gql_with(
        SIGN_IN,
        json!({ "email": email, "password": password }),
        None,
        &[("x-forwarded-for", &address)],
    )
    .await
}

/// `text` as a GraphQL string literal.
fn graphql_string(text: &str) -> String {
    let mut literal = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => literal.push_str("\\\""),
            '\\' => literal.push_str("\\\\"),
            c if c < ' ' || c == '\u{7f}' => literal.push_str(&format!("\\u{:04x}", c as u32)),
            c => literal.push(c),
        }
    }
    literal.push('"');
    literal
}

fn label(what: &str, text: &str) -> String {
    let shown: String = text.chars().take(40).collect();
    format!("{what} ({} bytes, {shown:?})", text.len())
}

const CREATE_POST: &str = "mutation($input: CreatePostInput!) {
    createPost(input: $input) { id caption images { url } }
}";
const READ_POST: &str = "query($id: ID!) { post(id: $id) { caption images { url } } }";
const CREATE_STORY: &str = "mutation($input: CreateStoryInput!) {
    createStory(input: $input) { id caption image { url } }
}";
const READ_STORIES: &str = "{ followingStories { stories { id caption image { url } } } }";
const UPDATE_PROFILE: &str = "mutation($input: UpdateProfileInput!) {
    updateProfile(input: $input) { description profilePic { url } }
}";
const READ_ME: &str = "{ me { username email description profilePic { url } } }";
const SIGN_UP: &str = "mutation($input: SignUpInput!) {
    signUp(input: $input) { token user { username email description } }
}";
const SIGN_IN: &str = "mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }";

/// The caption of a post read back through `post(id)`.
async fn post_caption(app: &TestApp, token: &str, id: &Value) -> Value {
    let data = app.ok(READ_POST, json!({ "id": id }), Some(token)).await;
    data["post"]["caption"].clone()
}

/// A story of the viewer's, read back through the story tray.
async fn own_story(app: &TestApp, token: &str, id: &Value) -> Value {
    let data = app.ok(READ_STORIES, json!({}), Some(token)).await;
    data["followingStories"][0]["stories"]
        .as_array()
        .and_then(|stories| stories.iter().find(|story| story["id"] == *id))
        .cloned()
        .unwrap_or_else(|| panic!("story {id} is not in the tray: {data}"))
}

#[tokio::test]
async fn post_captions_are_stored_exactly_as_trimmed_or_refused_by_field() {
    let app = TestApp::new().await;
    let writer = app.sign_up("writer").await;
    let mut cases = corpus();
    cases.extend(around(MAX_CAPTION_CHARS, "漢"));

    for (what, text) in &cases {
        let what = label(what, text);
        let expected = trimmed_within(text, MAX_CAPTION_CHARS);
        // Once as a variable, once as a literal in the document.
        let literal = format!(
            "mutation {{ createPost(input: {{ caption: {}, images: [{{ url: \"{PICTURE}\", sequence: 0 }}] }}) {{ id caption }} }}",
            graphql_string(text)
        );
        let answers = [
            send(
                &app,
                CREATE_POST,
                json!({ "input": { "caption": text, "images": [{ "url": PICTURE, "sequence": 0 }] } }),
                Some(&writer.token),
            )
            .await,
            send(&app, &literal, json!({}), Some(&writer.token)).await,
        ];
        for answer in answers {
            match &expected {
                Some(stored) => {
                    assert!(answer.accepted(), "{what}: refused: {}", answer.short());
                    let post = &answer.response["data"]["createPost"];
                    assert_eq!(post["caption"], stored.as_str(), "{what}: as answered");
                    let read = post_caption(&app, &writer.token, &post["id"]).await;
                    assert_eq!(read, stored.as_str(), "{what}: as read back");
                }
                None => answer.assert_refused("caption", &what),
            }
        }
    }
}

#[tokio::test]
async fn story_captions_are_stored_exactly_as_trimmed_or_refused_by_field() {
    let app = TestApp::new().await;
    let writer = app.sign_up("writer").await;
    let mut cases = corpus();
    cases.extend(around(MAX_CAPTION_CHARS, "😀"));

    for (what, text) in &cases {
        let what = label(what, text);
        let answer = send(
            &app,
            CREATE_STORY,
            json!({ "input": { "caption": text, "imageUrl": PICTURE } }),
            Some(&writer.token),
        )
        .await;
        match trimmed_within(text, MAX_CAPTION_CHARS) {
            Some(stored) => {
                assert!(answer.accepted(), "{what}: refused: {}", answer.short());
                let story = own_story(
                    &app,
                    &writer.token,
                    &answer.response["data"]["createStory"]["id"],
                )
                .await;
                assert_eq!(story["caption"], stored.as_str(), "{what}");
            }
            None => answer.assert_refused("caption", &what),
        }
    }
}

#[tokio::test]
async fn descriptions_are_stored_exactly_as_trimmed_or_refused_by_field() {
    let app = TestApp::new().await;
    let writer = app.sign_up("writer").await;
    let mut cases = corpus();
    cases.extend(around(MAX_DESCRIPTION_CHARS, "é"));
    cases.extend(around(MAX_DESCRIPTION_CHARS / 2, "👩\u{200d}"));

    for (what, text) in &cases {
        let what = label(what, text);
        let before = app.ok(READ_ME, json!({}), Some(&writer.token)).await;
        let answer = send(
            &app,
            UPDATE_PROFILE,
            json!({ "input": { "description": text } }),
            Some(&writer.token),
        )
        .await;
        let after = app.ok(READ_ME, json!({}), Some(&writer.token)).await;
        match trimmed_within(text, MAX_DESCRIPTION_CHARS) {
            Some(stored) => {
                assert!(answer.accepted(), "{what}: refused: {}", answer.short());
                let answered = &answer.response["data"]["updateProfile"]["description"];
                assert_eq!(answered, stored.as_str(), "{what}: as answered");
                assert_eq!(after["me"]["description"], stored.as_str(), "{what}");
            }
            None => {
                answer.assert_refused("description", &what);
                assert_eq!(before, after, "{what}");
            }
        }
    }
}

/// Where a picture URL goes, and how to read it back.
#[derive(Clone, Copy, Debug)]
enum PictureSlot {
    Post,
    Story,
    Profile,
}

impl PictureSlot {
    fn field(self) -> &'static str {
        match self {
            Self::Post => "images",
            Self::Story => "imageUrl",
            Self::Profile => "profilePicUrl",
        }
    }

    /// Sends `url` here; returns the answer and, when accepted, the URL as
    /// read back.
    async fn send(self, app: &TestApp, token: &str, url: &str) -> (Answer, Option<Value>) {
        let (query, variables) = match self {
            Self::Post => (
                CREATE_POST,
                json!({ "input": { "images": [{ "url": url, "sequence": 7 }] } }),
            ),
            Self::Story => (CREATE_STORY, json!({ "input": { "imageUrl": url } })),
            Self::Profile => (UPDATE_PROFILE, json!({ "input": { "profilePicUrl": url } })),
        };
        let answer = send(app, query, variables, Some(token)).await;
        if !answer.accepted() {
            return (answer, None);
        }
        let data = &answer.response["data"];
        let stored = match self {
            Self::Post => {
                let read = app
                    .ok(
                        READ_POST,
                        json!({ "id": data["createPost"]["id"] }),
                        Some(token),
                    )
                    .await;
                read["post"]["images"][0]["url"].clone()
            }
            Self::Story => {
                own_story(app, token, &data["createStory"]["id"]).await["image"]["url"].clone()
            }
            Self::Profile => {
                app.ok(READ_ME, json!({}), Some(token)).await["me"]["profilePic"]["url"].clone()
            }
        };
        (answer, Some(stored))
    }
}

#[tokio::test]
async fn picture_urls_are_stored_byte_for_byte_or_refused_by_field() {
    let app = TestApp::new().await;
    let writer = app.sign_up("writer").await;
    let base = "https://img.example.com/";
    let mut cases: Vec<(String, String, Option<bool>)> = Vec::new();
    for (what, text) in corpus() {
        // As a whole URL, which is mostly not one; and as its path, which
        // is a URL whenever it holds no white space.
        cases.push((format!("{what}, as the URL"), text.clone(), None));
        let url = format!("{base}{text}");
        let fits = !url.chars().any(char::is_whitespace)
            && !url.contains('\0')
            && url.len() <= MAX_URL_BYTES;
        cases.push((format!("{what}, as the path"), url, Some(fits)));
    }
    let fill = MAX_URL_BYTES - base.len();
    cases.push((
        "at the limit".into(),
        format!("{base}{}", "a".repeat(fill)),
        Some(true),
    ));
    cases.push((
        "one byte over".into(),
        format!("{base}{}", "a".repeat(fill + 1)),
        Some(false),
    ));
    cases.push((
        "two-byte letters, one byte over".into(),
        format!("{base}{}a", "é".repeat(fill / 2)),
        Some(false),
    ));
    cases.push((
        " leading space".into(),
        format!(" {base}a.jpg"),
        Some(false),
    ));
    cases.push((
        "trailing newline".into(),
        format!("{base}a.jpg\n"),
        Some(false),
    ));

    for slot in [PictureSlot::Post, PictureSlot::Story, PictureSlot::Profile] {
        for (what, url, fits) in &cases {
            let what = label(&format!("{slot:?}: {what}"), url);
            let (answer, stored) = slot.send(&app, &writer.token, url).await;
            match stored {
                Some(stored) => {
                    assert_ne!(*fits, Some(false), "{what}: accepted");
                    assert_eq!(stored, url.as_str(), "{what}: stored differently");
                }
                None => {
                    assert_ne!(*fits, Some(true), "{what}: refused: {}", answer.short());
                    answer.assert_refused(slot.field(), &what);
                }
            }
        }
    }
}

/// The sign-up input of account number `n`, with `field` set to `text`.
fn sign_up_input(n: usize, field: &str, text: &str) -> Value {
    let mut input = json!({
        "email": format!("person{n}@example.com"),
        "username": format!("person{n}"),
        "password": PASSWORD,
        "description": "",
    });
    input[field] = json!(text);
    json!({ "input": input })
}

#[tokio::test]
async fn sign_up_stores_emails_trimmed_and_lower_cased_or_refuses_them_on_email() {
    let app = TestApp::new().await;
    let mut taken_emails: HashSet<String> = HashSet::new();
    // (what, email, whether it must be taken): most are left to the email
    // validator, but an email outside ASCII must be refused.
    let mut emails: Vec<(String, String, Option<bool>)> = Vec::new();
    for (what, text) in corpus() {
        let ascii = text.trim().is_ascii();
        emails.push((format!("{what}, as the email"), text.clone(), None));
        emails.push((
            format!("{what}, as the local part"),
            format!("{text}@example.com"),
            (!ascii).then_some(false),
        ));
        emails.push((
            format!("{what}, as the domain"),
            format!("x@{text}.example"),
            (!ascii).then_some(false),
        ));
    }
    let domain = |last: usize| {
        format!(
            "{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(last)
        )
    };
    emails.extend([
        (
            "capitals".into(),
            "  Mixed.Case@Example.COM ".into(),
            Some(true),
        ),
        (
            "254 bytes".into(),
            format!("{}@{}", "a".repeat(64), domain(57)),
            Some(true),
        ),
        (
            "255 bytes".into(),
            format!("{}@{}", "e".repeat(64), domain(58)),
            Some(false),
        ),
        (
            "an internationalised domain".into(),
            "ada@exämple.com".into(),
            Some(false),
        ),
        (
            "a Kelvin sign".into(),
            "\u{212a}elvin@example.com".into(),
            Some(false),
        ),
    ]);

    for (n, (what, text, must)) in emails.into_iter().enumerate() {
        let what = label(&what, &text);
        let answer = send(&app, SIGN_UP, sign_up_input(n, "email", &text), None).await;
        if let Some(must) = must {
            assert_eq!(answer.accepted(), must, "{what}: {}", answer.short());
        }
        let normalised = text.trim().to_lowercase();
        if answer.accepted() {
            assert!(
                text.trim().is_ascii(),
                "{what}: an email outside ASCII was taken"
            );
            let me = app
                .ok(
                    READ_ME,
                    json!({}),
                    answer.response["data"]["signUp"]["token"].as_str(),
                )
                .await;
            assert_eq!(me["me"]["email"], normalised.as_str(), "{what}");
            assert!(taken_emails.insert(normalised), "{what}: taken twice");
        } else if answer.codes() == ["CONFLICT"] {
            assert!(
                taken_emails.contains(&normalised),
                "{what}: {}",
                answer.short()
            );
            assert_eq!(answer.response["errors"][0]["extensions"]["field"], "email");
            answer.assert_unchanged(&what);
        } else {
            answer.assert_refused("email", &what);
        }
    }
}

#[tokio::test]
async fn sign_up_stores_usernames_trimmed_or_refuses_them_on_username() {
    let app = TestApp::new().await;
    let mut taken_names: HashSet<String> = HashSet::new();
    let mut names = corpus();
    names.extend([
        ("a 30-letter username", "u".repeat(30)),
        ("a 31-letter username", "u".repeat(31)),
        ("a padded username", "  padded_name  ".to_owned()),
        ("a username in capitals", "PLAIN_ASCII.1".to_owned()),
    ]);

    for (n, (what, text)) in names.into_iter().enumerate() {
        let what = label(what, &text);
        let answer = send(&app, SIGN_UP, sign_up_input(n, "username", &text), None).await;
        let trimmed = text.trim();
        let valid = (1..=30).contains(&trimmed.len())
            && trimmed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
        if !valid {
            answer.assert_refused("username", &what);
        } else if taken_names.contains(&trimmed.to_lowercase()) {
            assert_eq!(answer.codes(), ["CONFLICT"], "{what}");
            assert_eq!(
                answer.response["errors"][0]["extensions"]["field"],
                "username"
            );
            answer.assert_unchanged(&what);
        } else {
            assert!(answer.accepted(), "{what}: refused: {}", answer.short());
            let token = answer.response["data"]["signUp"]["token"].as_str();
            let me = app.ok(READ_ME, json!({}), token).await;
            assert_eq!(me["me"]["username"], trimmed, "{what}");
            taken_names.insert(trimmed.to_lowercase());
        }
    }
}

#[tokio::test]
async fn sign_up_keeps_passwords_exactly_or_refuses_them_on_password() {
    let app = TestApp::new().await;
    let mut passwords = corpus();
    passwords.extend([
        ("72 bytes of two-byte letters", "é".repeat(36)),
        ("73 bytes", format!("{}a", "é".repeat(36))),
        ("7 bytes", "seven77".to_owned()),
        ("a common password", "Password1".to_owned()),
        ("an emoji password", "🔑🔑".to_owned()),
    ]);

    for (n, (what, text)) in passwords.into_iter().enumerate() {
        let what = label(what, &text);
        let answer = send(&app, SIGN_UP, sign_up_input(n, "password", &text), None).await;
        if !acceptable_password(&text) {
            answer.assert_refused("password", &what);
            continue;
        }
        assert!(answer.accepted(), "{what}: refused: {}", answer.short());
        // Stored as a hash: the exact text signs in, and only it.
        let email = format!("person{n}@example.com");
        let signed_in = sign_in(&app, &email, &text).await;
        assert!(signed_in.get("errors").is_none(), "{what}: {signed_in}");
        let altered = sign_in(&app, &email, &format!("{text}\u{200b}")).await;
        assert!(
            altered.get("errors").is_some(),
            "{what}: a longer text signed in"
        );
    }
}

#[tokio::test]
async fn sign_up_stores_descriptions_trimmed_or_refuses_them_on_description() {
    let app = TestApp::new().await;
    let mut descriptions = corpus();
    descriptions.extend(around(MAX_DESCRIPTION_CHARS, "é"));

    for (n, (what, text)) in descriptions.into_iter().enumerate() {
        let what = label(what, &text);
        let answer = send(&app, SIGN_UP, sign_up_input(n, "description", &text), None).await;
        match trimmed_within(&text, MAX_DESCRIPTION_CHARS) {
            Some(stored) => {
                assert!(answer.accepted(), "{what}: refused: {}", answer.short());
                let token = answer.response["data"]["signUp"]["token"].as_str();
                let me = app.ok(READ_ME, json!({}), token).await;
                assert_eq!(me["me"]["description"], stored.as_str(), "{what}");
            }
            None => answer.assert_refused("description", &what),
        }
    }
}

#[tokio::test]
async fn a_password_is_matched_byte_for_byte_not_by_unicode_equivalence() {
    let app = TestApp::new().await;
    let precomposed = "Caf\u{e9} \u{c5}ngstr\u{f6}m na\u{ef}ve";
    let decomposed = "Cafe\u{301} A\u{30a}ngstro\u{308}m nai\u{308}ve";
    app.ok(
        SIGN_UP,
        json!({ "input": { "email": "nfc@example.com", "username": "nfc", "password": precomposed } }),
        None,
    )
    .await;

    let other_form = sign_in(&app, "nfc@example.com", decomposed).await;
    let same_form = sign_in(&app, "nfc@example.com", precomposed).await;

    assert_eq!(
        other_form["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{other_form}"
    );
    assert!(same_form.get("errors").is_none(), "{same_form}");
}

#[tokio::test]
async fn sign_in_answers_any_text_as_wrong_credentials_and_opens_no_session() {
    let app = TestApp::new().await;
    app.sign_up("reader").await;

    for (n, (what, text)) in corpus().into_iter().enumerate() {
        let what = label(what, &text);
        let as_email = send(
            &app,
            SIGN_IN,
            json!({ "email": text, "password": PASSWORD }),
            None,
        )
        .await;
        // An email of its own each time, so that no account gets blocked.
        let as_password = send(
            &app,
            SIGN_IN,
            json!({ "email": format!("nobody{n}@example.com"), "password": text }),
            None,
        )
        .await;
        for (answer, field) in [(as_email, "email"), (as_password, "password")] {
            if text.contains('\0') {
                answer.assert_refused(field, &what);
            } else {
                assert_eq!(
                    answer.codes(),
                    ["UNAUTHENTICATED"],
                    "{what}: {}",
                    answer.short()
                );
                answer.assert_unchanged(&what);
            }
        }
    }
}

#[tokio::test]
async fn a_new_password_is_kept_exactly_or_refused_on_new_password() {
    let app = TestApp::new().await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    for (n, (what, text)) in corpus().into_iter().enumerate() {
        let what = label(what, &text);
        let account = app.sign_up(&format!("changer{n}")).await;
        let answer = send(
            &app,
            change,
            json!({ "c": PASSWORD, "n": text }),
            Some(&account.token),
        )
        .await;
        if acceptable_password(&text) {
            assert!(answer.accepted(), "{what}: refused: {}", answer.short());
            let signed_in = sign_in(&app, &account.email, &text).await;
            assert!(signed_in.get("errors").is_none(), "{what}: {signed_in}");
        } else {
            answer.assert_refused("newPassword", &what);
        }
    }
}

#[tokio::test]
async fn a_wrong_password_of_any_kind_is_refused_on_its_own_argument() {
    let app = TestApp::new().await;
    let change = "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"a brand new passphrase\") }";
    let delete = "mutation($p: String!) { deleteAccount(password: $p) }";
    let mut account: Option<Account> = None;

    for (n, (what, text)) in corpus().into_iter().enumerate() {
        let what = label(what, &text);
        // Wrong passwords count towards the account's attempt limit: a new
        // account every two cases stays under it.
        if n % 2 == 0 {
            account = Some(app.sign_up(&format!("confirmer{n}")).await);
        }
        let token = account.as_ref().map(|account| account.token.as_str());
        let changed = send(&app, change, json!({ "c": text }), token).await;
        let deleted = send(&app, delete, json!({ "p": text }), token).await;

        changed.assert_refused("currentPassword", &what);
        deleted.assert_refused("password", &what);
    }
}

#[tokio::test]
async fn search_matches_any_text_literally_and_refuses_only_blank_or_long_text() {
    let app = TestApp::new().await;
    let names = [
        "searcher",
        "ada",
        "a_b",
        "axb",
        "a.b",
        "abc_",
        "dots.and_lines",
        "percent100",
        "UPPER_Case",
        "kelvin",
        "strasse",
    ];
    let mut accounts = Vec::new();
    for name in names {
        accounts.push(app.sign_up(name).await);
    }
    let searcher = &accounts[0];
    let query =
        "query($q: String!) { searchUsers(query: $q, first: 50) { edges { node { username } } } }";
    let mut cases = corpus();
    cases.extend([
        ("64 letters", "a".repeat(MAX_SEARCH_CHARS)),
        ("65 letters", "a".repeat(MAX_SEARCH_CHARS + 1)),
        (
            "64 letters, padded",
            format!("  {}  ", "a".repeat(MAX_SEARCH_CHARS)),
        ),
        (
            "64 capitals that lower-case longer",
            "İ".repeat(MAX_SEARCH_CHARS),
        ),
        ("an underscore between", "a_b".to_owned()),
        ("a percent between", "a%b".to_owned()),
        ("a dot", ".".to_owned()),
        ("an escaped underscore", "\\_".to_owned()),
        ("capitals", " UPPER ".to_owned()),
    ]);

    for (what, text) in &cases {
        let what = label(what, text);
        let answer = send(&app, query, json!({ "q": text }), Some(&searcher.token)).await;
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.chars().count() > MAX_SEARCH_CHARS || text.contains('\0') {
            answer.assert_refused("query", &what);
            continue;
        }
        answer.assert_unchanged(&what);
        assert!(answer.accepted(), "{what}: refused: {}", answer.short());
        let needle = trimmed.to_lowercase();
        let mut starting: Vec<&str> = Vec::new();
        let mut containing: Vec<&str> = Vec::new();
        for name in names {
            let lower = name.to_lowercase();
            if lower.starts_with(&needle) {
                starting.push(name);
            } else if lower.contains(&needle) {
                containing.push(name);
            }
        }
        starting.sort_by_key(|name| name.to_lowercase());
        containing.sort_by_key(|name| name.to_lowercase());
        starting.extend(containing);
        assert_eq!(
            usernames(&answer.response["data"]["searchUsers"]),
            starting,
            "{what}"
        );
    }
}

/// Arguments that name a post, story, session or person: (operation, the
/// argument as `extensions.field` names it, and whether it is a query).
const NAMING: [(&str, &str, bool); 9] = [
    ("query($v: ID!) { post(id: $v) { id } }", "id", true),
    (
        "query($v: String!) { user(username: $v) { id } }",
        "username",
        true,
    ),
    (
        "mutation($v: ID!) { likePost(postId: $v) { id } }",
        "postId",
        false,
    ),
    (
        "mutation($v: ID!) { unlikePost(postId: $v) { id } }",
        "postId",
        false,
    ),
    ("mutation($v: ID!) { deletePost(id: $v) }", "id", false),
    ("mutation($v: ID!) { deleteStory(id: $v) }", "id", false),
    ("mutation($v: ID!) { revokeSession(id: $v) }", "id", false),
    (
        "mutation($v: String!) { followUser(username: $v) { id } }",
        "username",
        false,
    ),
    (
        "mutation($v: String!) { unfollowUser(username: $v) { id } }",
        "username",
        false,
    ),
];

#[tokio::test]
async fn ids_and_usernames_in_any_script_find_nothing_and_change_nothing() {
    let app = TestApp::new().await;
    let reader = app.sign_up("reader").await;
    let writer = app.sign_up("writer").await;
    app.follow(&reader, &writer).await;
    let post = app.post(&writer, instanext_tests::minutes_ago(5), 1).await;
    app.like(&reader, &post).await;

    for (what, text) in corpus() {
        let what = label(what, &text);
        for (query, field, is_query) in NAMING {
            let answer = send(&app, query, json!({ "v": text }), Some(&reader.token)).await;
            let what = format!("{what} in `{query}`");
            if text.contains('\0') {
                answer.assert_refused(field, &what);
                continue;
            }
            answer.assert_unchanged(&what);
            if is_query {
                assert!(answer.accepted(), "{what}: {}", answer.short());
                let data = answer.response["data"].as_object().unwrap();
                assert!(
                    data.values().all(Value::is_null),
                    "{what}: {}",
                    answer.short()
                );
            } else {
                assert_eq!(answer.codes(), ["NOT_FOUND"], "{what}: {}", answer.short());
            }
        }
    }
}

#[tokio::test]
async fn cursors_in_any_script_are_refused_on_after() {
    let app = TestApp::new().await;
    let reader = app.sign_up("reader").await;
    let writer = app.sign_up("writer").await;
    app.follow(&reader, &writer).await;
    let post = app.post(&writer, instanext_tests::minutes_ago(5), 1).await;
    let page = "pageInfo { endCursor }";
    let lists = [
        format!("query($a: String) {{ followingPosts(after: $a) {{ {page} }} }}"),
        format!("query($a: String) {{ searchUsers(query: \"r\", after: $a) {{ {page} }} }}"),
        format!(
            "query($a: String) {{ user(username: \"writer\") {{ posts(after: $a) {{ {page} }} }} }}"
        ),
        format!(
            "query($a: String) {{ user(username: \"writer\") {{ followers(after: $a) {{ {page} }} }} }}"
        ),
        format!(
            "query($a: String) {{ user(username: \"reader\") {{ following(after: $a) {{ {page} }} }} }}"
        ),
        format!(
            "query($a: String) {{ post(id: \"{post}\") {{ likedBy(after: $a) {{ {page} }} }} }}"
        ),
    ];

    for (what, text) in corpus() {
        let what = label(what, &text);
        for list in &lists {
            let answer = send(&app, list, json!({ "a": text }), Some(&reader.token)).await;
            answer.assert_refused("after", &format!("{what} in `{list}`"));
        }
    }
}

/// Every text argument, as an operation and its variables in JSON, with
/// `"@@"` where the text goes.
const TEXT_ARGUMENTS: [(&str, &str); 22] = [
    (
        "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
        r#"{"i":{"email":"@@","username":"lone","password":"a long passphrase"}}"#,
    ),
    (
        "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
        r#"{"i":{"email":"lone@example.com","username":"@@","password":"a long passphrase"}}"#,
    ),
    (
        "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
        r#"{"i":{"email":"lone@example.com","username":"lone","password":"@@"}}"#,
    ),
    (
        "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
        r#"{"i":{"email":"lone@example.com","username":"lone","password":"a long passphrase","description":"@@"}}"#,
    ),
    (
        "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
        r#"{"e":"@@","p":"a long passphrase"}"#,
    ),
    (
        "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
        r#"{"e":"reader@example.com","p":"@@"}"#,
    ),
    (
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
        r#"{"c":"@@","n":"a brand new passphrase"}"#,
    ),
    (
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
        r#"{"c":"correct horse battery","n":"@@"}"#,
    ),
    (
        "mutation($p: String!) { deleteAccount(password: $p) }",
        r#"{"p":"@@"}"#,
    ),
    (
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }",
        r#"{"i":{"description":"@@"}}"#,
    ),
    (
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }",
        r#"{"i":{"profilePicUrl":"@@"}}"#,
    ),
    (
        "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
        r#"{"i":{"caption":"@@","images":[{"url":"https://img.example.com/a.jpg","sequence":0}]}}"#,
    ),
    (
        "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
        r#"{"i":{"images":[{"url":"@@","sequence":0}]}}"#,
    ),
    (
        "mutation($i: CreateStoryInput!) { createStory(input: $i) { id } }",
        r#"{"i":{"caption":"@@","imageUrl":"https://img.example.com/a.jpg"}}"#,
    ),
    (
        "mutation($i: CreateStoryInput!) { createStory(input: $i) { id } }",
        r#"{"i":{"imageUrl":"@@"}}"#,
    ),
    (
        "query($q: String!) { searchUsers(query: $q) { edges { cursor } } }",
        r#"{"q":"@@"}"#,
    ),
    (
        "query($a: String) { followingPosts(after: $a) { edges { cursor } } }",
        r#"{"a":"@@"}"#,
    ),
    (
        "query($v: String!) { user(username: $v) { id } }",
        r#"{"v":"@@"}"#,
    ),
    ("query($v: ID!) { post(id: $v) { id } }", r#"{"v":"@@"}"#),
    (
        "mutation($v: ID!) { likePost(postId: $v) { id } }",
        r#"{"v":"@@"}"#,
    ),
    (
        "mutation($v: String!) { followUser(username: $v) { id } }",
        r#"{"v":"@@"}"#,
    ),
    (
        "mutation($v: ID!) { revokeSession(id: $v) }",
        r#"{"v":"@@"}"#,
    ),
];

#[tokio::test]
async fn lone_surrogates_in_any_text_argument_are_refused_before_anything_runs() {
    let app = TestApp::new().await;
    let reader = app.sign_up("reader").await;
    let lone = [
        r"\ud800",
        r"\udfff",
        r"a\ud800b",
        r"\ud83d",
        r"\ude00\ud83d",
        r"\ud800\u0041",
    ];

    for (document, variables) in TEXT_ARGUMENTS {
        for escape in lone {
            let body = format!(
                r#"{{"query":{},"variables":{}}}"#,
                json!(document),
                variables.replace("@@", escape)
            );
            let request = Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {}", reader.token))
                .header("x-forwarded-for", app.fresh_address())
                .body(Body::from(body))
                .unwrap();
            let before = Fingerprint::of(&app.db).await;

            let (status, reply) = app.send(request).await;

            let what = format!("{escape} in {variables}");
            let reply: Value = serde_json::from_slice(&reply).unwrap();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {reply}");
            assert_eq!(
                reply["errors"][0]["extensions"]["code"], "BAD_REQUEST",
                "{what}"
            );
            let after = Fingerprint::of(&app.db).await;
            assert_eq!(after.changed_since(&before), Vec::<&str>::new(), "{what}");
        }
    }

    // A surrogate pair is one character, and is stored as that character.
    let body = format!(
        r#"{{"query":{},"variables":{}}}"#,
        json!("mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { description } }"),
        r#"{"i":{"description":"\ud83d\ude00"}}"#
    );
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", reader.token))
        .body(Body::from(body))
        .unwrap();
    let (status, _) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    let me = app.ok(READ_ME, json!({}), Some(&reader.token)).await;
    assert_eq!(me["me"]["description"], "😀");
}
