//! The URL map: every rule of the app, matched against a request path (404, 405, 308 and
//! automatic OPTIONS are decided here) and built back into URLs for `url_for`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use http::Method;
use rustc_hash::FxHashMap;

use super::converters::PathValue;
use super::rule::{Part, Rule};
use super::url_for::BuildError;

/// One rule of the map and what it leads to.
#[derive(Debug)]
pub(crate) struct RuleEntry {
    pub(crate) rule: Rule,
    pub(crate) endpoint: String,
    /// Methods the rule answers, HEAD included when GET is (sorted, no OPTIONS unless explicit).
    pub(crate) methods: Vec<Method>,
    /// Index of the handler set in the app's table.
    pub(crate) handler: usize,
    /// The blueprint scope the rule belongs to (0 is the app).
    pub(crate) scope: usize,
    /// Who added the rule: "app", a blueprint name, or an extension name.
    pub(crate) owner: String,
    /// Its subdomain (with subdomain matching) or host (with host matching) pattern;
    /// `None` is the default subdomain, `""`.
    pub(crate) domain: Option<Rule>,
}

impl RuleEntry {
    /// The rule's variables: those of its subdomain or host first, then its path's.
    pub(crate) fn vars(&self) -> impl Iterator<Item = (&str, &super::converters::Converter)> {
        self.domain
            .iter()
            .flat_map(Rule::vars)
            .chain(self.rule.vars())
    }
}

/// How the request's host takes part in matching: Flask's `subdomain_matching` (relative
/// to `SERVER_NAME`) and `host_matching`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum DomainMode {
    /// The host plays no part (Flask's default).
    #[default]
    Off,
    /// Rules match the subdomain of `SERVER_NAME` the request names (`""` for none).
    Subdomain { server_name: String },
    /// Rules match the request's whole host.
    Host,
}

/// The outcome of matching one request.
#[derive(Debug)]
pub(crate) enum Match {
    Found {
        rule: usize,
        values: Vec<PathValue>,
    },
    /// A 308 to this path (strict slashes, merged slashes).
    Redirect(String),
    /// Methods the path does answer to, and the first rule whose path matched.
    MethodNotAllowed(Vec<Method>, usize),
    /// An OPTIONS request answered by the map itself.
    Options(Vec<Method>),
    NotFound,
}

/// All rules, compiled for matching and building.
#[derive(Debug, Default)]
pub(crate) struct UrlMap {
    pub(crate) rules: Vec<RuleEntry>,
    /// Rules without variables, by path. FxHash: paths are hashed on every request, and the
    /// keys are the app's own rules, not attacker-chosen.
    statics: FxHashMap<String, Vec<usize>>,
    dynamic: Vec<usize>,
    by_endpoint: HashMap<String, Vec<usize>>,
    /// `PROVIDE_AUTOMATIC_OPTIONS`: answer OPTIONS for every rule.
    automatic_options: bool,
    /// `url_defaults` functions by blueprint name (`""` for the app's).
    url_defaults: UrlDefaults,
    /// Whether and how the host is matched.
    pub(crate) domain_mode: DomainMode,
}

/// `url_defaults` functions by blueprint name (`""` for the app's).
#[derive(Default)]
pub(crate) struct UrlDefaults(pub(crate) HashMap<String, Vec<crate::registrar::UrlDefaultsFn>>);

impl std::fmt::Debug for UrlDefaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl UrlMap {
    /// Builds the lookup tables once all rules are in.
    pub(crate) fn new(
        rules: Vec<RuleEntry>,
        automatic_options: bool,
        url_defaults: UrlDefaults,
        domain_mode: DomainMode,
    ) -> Self {
        let mut statics: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        let mut dynamic = Vec::new();
        let mut by_endpoint: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            if r.rule.is_static() {
                statics.entry(r.rule.static_key()).or_default().push(i);
            } else {
                dynamic.push(i);
            }
            by_endpoint.entry(r.endpoint.clone()).or_default().push(i);
        }
        // Stable: equal keys keep registration order, as in Werkzeug.
        dynamic.sort_by(|a, b| rules[*a].rule.sort_key.cmp(&rules[*b].rule.sort_key));
        // Werkzeug builds with the rule using the most arguments first.
        for list in by_endpoint.values_mut() {
            list.sort_by_key(|i| std::cmp::Reverse(rules[*i].vars().count()));
        }
        UrlMap {
            rules,
            statics,
            dynamic,
            by_endpoint,
            automatic_options,
            url_defaults,
            domain_mode,
        }
    }

    /// What of `host` the rules match: `None` without subdomain or host matching; the
    /// subdomain of `SERVER_NAME` (`""` for none, `None`-like `"<invalid>"` for a host
    /// outside it, which no rule matches); or the whole host, lower-cased.
    pub(crate) fn domain_key<'h>(&self, host: &'h str) -> Option<Cow<'h, str>> {
        let server_name = match &self.domain_mode {
            DomainMode::Off => return None,
            DomainMode::Subdomain { server_name } => Some(server_name),
            DomainMode::Host => None,
        };
        // Werkzeug leaves out the scheme's default port.
        let host = host
            .strip_suffix(":80")
            .or_else(|| host.strip_suffix(":443"))
            .unwrap_or(host)
            .to_ascii_lowercase();
        let Some(server_name) = server_name else {
            return Some(Cow::Owned(host));
        };
        if host == *server_name {
            return Some(Cow::Borrowed(""));
        }
        match host.strip_suffix(server_name.as_str()) {
            Some(sub) if sub.ends_with('.') && sub.len() > 1 => {
                Some(Cow::Owned(sub[..sub.len() - 1].to_owned()))
            }
            _ => Some(Cow::Borrowed("<invalid>")),
        }
    }

    /// The host a subdomain (or, with host matching, a host) of the map stands for.
    pub(crate) fn host_of(&self, domain: &str) -> String {
        match &self.domain_mode {
            DomainMode::Subdomain { server_name } if domain.is_empty() => server_name.clone(),
            DomainMode::Subdomain { server_name } => format!("{domain}.{server_name}"),
            _ => domain.to_owned(),
        }
    }

    /// The values of `entry`'s subdomain or host taken from `key`, or `None` if it does not
    /// match.
    fn match_domain(&self, entry: &RuleEntry, key: &str) -> Option<Vec<PathValue>> {
        let Some(domain) = &entry.domain else {
            // The default subdomain; with host matching every rule has a host.
            return key.is_empty().then(Vec::new);
        };
        let Some(re) = &domain.regex else {
            return (domain.text == key).then(Vec::new);
        };
        let caps = re.captures(key)?;
        domain
            .vars()
            .zip(caps.iter().skip(1))
            .map(|((_, conv), cap)| conv.to_value(cap.map_or("", |m| m.as_str()).to_owned()))
            .collect()
    }

    /// Runs the `url_defaults` functions for `endpoint`: the app's, then those of each
    /// blueprint in its name, outer to inner (Flask's `inject_url_defaults`).
    pub(crate) fn inject_defaults(&self, endpoint: &str, values: &mut Vec<(String, String)>) {
        if self.url_defaults.0.is_empty() {
            return;
        }
        let mut names = vec![""];
        if let Some((blueprints, _)) = endpoint.rsplit_once('.') {
            names.extend(
                blueprints
                    .match_indices('.')
                    .map(|(i, _)| &blueprints[..i])
                    .chain([blueprints]),
            );
        }
        for name in names {
            for f in self.url_defaults.0.get(name).into_iter().flatten() {
                f(endpoint, &mut super::UrlValues { values });
            }
        }
    }

    /// Matches a raw (percent-encoded) request path, as Werkzeug's `MapAdapter.match` does:
    /// leading slashes are ignored (`//about` is `/about`); a path with repeated slashes
    /// that matches once they are merged is redirected to the merged path (a method the
    /// merged path does not take gets its 405); a rule ending in `/` redirects the path
    /// without it, only for a method that rule takes (else 404).
    ///
    /// `host` is the request's host, which rules match with subdomain or host matching.
    pub(crate) fn match_path(&self, method: &Method, host: &str, raw_path: &str) -> Match {
        let domain = match self.domain_mode {
            DomainMode::Off => None,
            _ => self.domain_key(host),
        };
        let domain = domain.as_deref();
        // Most paths have no `//` at all (so no leading ones either): matched as they are.
        if !has_double_slash(raw_path) {
            return self.match_unmerged(method, domain, raw_path);
        }
        let raw = strip_leading_slashes(raw_path);
        if !has_double_slash(raw) {
            return self.match_unmerged(method, domain, raw);
        }
        match self.match_unmerged(method, domain, raw) {
            Match::NotFound => {}
            other => return other,
        }
        let mut merged = String::with_capacity(raw.len());
        for c in raw.chars() {
            if !(c == '/' && merged.ends_with('/')) {
                merged.push(c);
            }
        }
        match self.match_unmerged(method, domain, &merged) {
            Match::Found { .. } | Match::Options(_) => Match::Redirect(merged),
            other => other,
        }
    }

    /// [`UrlMap::match_path`] without merging slashes: the rules, then the strict-slash
    /// redirect.
    #[inline(always)]
    fn match_unmerged(&self, method: &Method, domain: Option<&str>, raw_path: &str) -> Match {
        let Some(path) = normalize(raw_path) else {
            return Match::NotFound;
        };
        let mut allowed: Vec<Method> = Vec::new();
        let mut explicit_options = false;
        let mut first = None;
        if let Some(found) = self.match_normalized(
            method,
            domain,
            &path,
            &mut allowed,
            &mut explicit_options,
            &mut first,
        ) {
            return found;
        }
        if let Some(first) = first {
            if self.automatic_options {
                allowed.push(Method::OPTIONS);
                if *method == Method::OPTIONS && !explicit_options {
                    return Match::Options(sorted(allowed));
                }
            }
            return Match::MethodNotAllowed(sorted(allowed), first);
        }
        // A rule ending in `/` redirects the URL without it, if the rule takes the method
        // (Werkzeug answers 404 otherwise). Automatic OPTIONS counts as taken.
        if !path.ends_with('/') {
            let slashed = format!("{path}/");
            let mut allowed = Vec::new();
            let mut explicit_options = false;
            let mut first = None;
            let hit = self.match_normalized(
                method,
                domain,
                &slashed,
                &mut allowed,
                &mut explicit_options,
                &mut first,
            );
            let options = *method == Method::OPTIONS && self.automatic_options && first.is_some();
            if hit.is_some() || options {
                return Match::Redirect(format!("{raw_path}/"));
            }
        }
        Match::NotFound
    }

    fn match_normalized(
        &self,
        method: &Method,
        domain: Option<&str>,
        path: &str,
        allowed: &mut Vec<Method>,
        explicit_options: &mut bool,
        first: &mut Option<usize>,
    ) -> Option<Match> {
        let mut check = |i: usize, mut values: Vec<PathValue>| -> Option<Match> {
            let entry = &self.rules[i];
            if let Some(key) = domain {
                // A rule of another subdomain or host is not there for this request.
                let mut from_domain = self.match_domain(entry, key)?;
                if !from_domain.is_empty() {
                    from_domain.append(&mut values);
                    values = from_domain;
                }
            }
            if entry.methods.contains(method) {
                return Some(Match::Found { rule: i, values });
            }
            first.get_or_insert(i);
            *explicit_options |= entry.methods.contains(&Method::OPTIONS);
            allowed.extend(entry.methods.iter().cloned());
            None
        };
        if let Some(list) = self.statics.get(path) {
            for &i in list {
                if let Some(m) = check(i, Vec::new()) {
                    return Some(m);
                }
            }
        }
        for &i in &self.dynamic {
            let rule = &self.rules[i].rule;
            if !path.starts_with(&rule.prefix) {
                continue;
            }
            let Some(re) = &rule.regex else { continue };
            let Some(caps) = re.captures(path) else {
                continue;
            };
            let mut values = Vec::with_capacity(caps.len() - 1);
            let mut ok = true;
            for ((_, conv), cap) in rule.vars().zip(caps.iter().skip(1)) {
                let raw = cap.map_or("", |m| m.as_str());
                match conv.to_value(decode_value(raw)) {
                    Some(v) => values.push(v),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok && let Some(m) = check(i, values) {
                return Some(m);
            }
        }
        None
    }

    /// Builds the path (and query string) of `endpoint` from `values`, with the subdomain
    /// or host of its rule when the map matches them.
    pub(crate) fn build(
        &self,
        endpoint: &str,
        values: &[(String, String)],
    ) -> Result<(Option<String>, String), BuildError> {
        let Some(candidates) = self.by_endpoint.get(endpoint) else {
            return Err(BuildError::UnknownEndpoint {
                endpoint: endpoint.to_owned(),
                suggestion: self.suggest(endpoint),
                unnamed_rule: self.unnamed_rule_like(endpoint),
            });
        };
        let mut missing_for_first: Option<Vec<String>> = None;
        for &i in candidates {
            let entry = &self.rules[i];
            let missing: Vec<String> = entry
                .vars()
                .filter(|(n, _)| !values.iter().any(|(k, _)| k == n))
                .map(|(n, _)| n.to_owned())
                .collect();
            if !missing.is_empty() {
                missing_for_first.get_or_insert(missing);
                continue;
            }
            let mut url = fill(&entry.rule, endpoint, values)?;
            let domain = match (&self.domain_mode, &entry.domain) {
                (DomainMode::Off, _) => None,
                (_, None) => Some(String::new()),
                (_, Some(domain)) => Some(fill(domain, endpoint, values)?),
            };
            let mut query = form_urlencoded::Serializer::new(String::new());
            let mut any = false;
            for (k, v) in values {
                if !entry.vars().any(|(n, _)| n == k) {
                    query.append_pair(k, v);
                    any = true;
                }
            }
            if any {
                let _ = write!(url, "?{}", query.finish());
            }
            return Ok((domain, url));
        }
        Err(BuildError::MissingValues {
            endpoint: endpoint.to_owned(),
            missing: missing_for_first.unwrap_or_default(),
        })
    }

    /// A rule named after itself (no `#[flask::view]` on its handler) whose path has the
    /// last part of `endpoint` in it, for the hint of an unknown endpoint.
    fn unnamed_rule_like(&self, endpoint: &str) -> Option<String> {
        let name = endpoint.rsplit('.').next().unwrap_or(endpoint);
        if name.is_empty() {
            return None;
        }
        self.rules
            .iter()
            .find(|r| r.endpoint.contains('/') && r.endpoint.contains(name))
            .map(|r| r.endpoint.clone())
    }

    /// The closest endpoint name, for "did you mean".
    fn suggest(&self, endpoint: &str) -> Option<String> {
        self.by_endpoint
            .keys()
            .map(|k| (edit_distance(k, endpoint), k))
            .filter(|(d, k)| *d <= 3.max(k.len() / 3))
            .min()
            .map(|(_, k)| k.clone())
    }
}

/// Whether `path` has `//` in it. A byte scan: `str::contains("//")` sets up a substring
/// searcher, on every request.
#[inline]
fn has_double_slash(path: &str) -> bool {
    let mut prev = 0u8;
    path.bytes().any(|b| {
        let pair = b == b'/' && prev == b'/';
        prev = b;
        pair
    })
}

/// The path with one leading slash, however many it came with (Werkzeug strips them).
fn strip_leading_slashes(path: &str) -> &str {
    let rest = path.trim_start_matches('/');
    if rest.len() + 1 >= path.len() {
        path
    } else {
        &path[path.len() - rest.len() - 1..]
    }
}

/// `rule` with its variables replaced by their values, as each converter writes them.
fn fill(rule: &Rule, endpoint: &str, values: &[(String, String)]) -> Result<String, BuildError> {
    let mut url = String::new();
    for part in &rule.parts {
        match part {
            Part::Static(s) => url.push_str(s),
            Part::Var { name, conv } => {
                let raw = values
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default();
                let encoded = conv.to_url(raw).map_err(|reason| BuildError::BadValue {
                    endpoint: endpoint.to_owned(),
                    name: name.clone(),
                    value: raw.to_owned(),
                    reason,
                })?;
                url.push_str(&encoded);
            }
        }
    }
    Ok(url)
}

fn sorted(mut methods: Vec<Method>) -> Vec<Method> {
    methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    methods.dedup();
    methods
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes percent-escapes except `%2F` and `%25`, which stay (upper-cased) so a `/` or
/// `%` that was escaped cannot be confused with a separator. `None` if the result is not
/// UTF-8.
#[inline]
pub(crate) fn normalize(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.as_bytes().contains(&b'%') {
        return Some(Cow::Borrowed(raw));
    }
    normalize_escapes(raw)
}

/// [`normalize`] of a path with a `%` in it.
fn normalize_escapes(raw: &str) -> Option<Cow<'_, str>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            let b = h * 16 + l;
            if b == b'/' || b == b'%' {
                out.extend_from_slice(if b == b'/' { b"%2F" } else { b"%25" });
            } else {
                out.push(b);
            }
            i += 3;
            continue;
        }
        if bytes[i] == b'%' {
            // A `%` not starting an escape stands for itself.
            out.extend_from_slice(b"%25");
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Decodes the `%2F` and `%25` left by [`normalize`] in a matched value.
pub(crate) fn decode_value(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("%2F") {
            out.push('/');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("%25") {
            out.push('%');
            rest = after;
        } else {
            out.push('%');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(rules: &[(&str, &str, &[Method])]) -> UrlMap {
        UrlMap::new(
            rules
                .iter()
                .enumerate()
                .map(|(i, (rule, endpoint, methods))| {
                    let mut methods = methods.to_vec();
                    if methods.contains(&Method::GET) {
                        methods.push(Method::HEAD);
                    }
                    RuleEntry {
                        rule: Rule::parse(rule).unwrap(),
                        endpoint: (*endpoint).to_owned(),
                        methods,
                        handler: i,
                        scope: 0,
                        owner: "app".to_owned(),
                        domain: None,
                    }
                })
                .collect(),
            true,
            UrlDefaults::default(),
            DomainMode::Off,
        )
    }

    fn found(m: Match) -> (usize, Vec<PathValue>) {
        match m {
            Match::Found { rule, values } => (rule, values),
            other => panic!("expected a match, got {other:?}"),
        }
    }

    const GET: &[Method] = &[Method::GET];

    #[test]
    fn normalize_keeps_escaped_slash() {
        assert_eq!(normalize("/a%20b%2fc%25d").unwrap(), "/a b%2Fc%25d");
        assert_eq!(decode_value("b%2Fc%25d"), "b/c%d");
        assert_eq!(normalize("/100%").unwrap(), "/100%25");
        assert_eq!(normalize("/%zz").unwrap(), "/%25zz");
        assert!(normalize("/%ff").is_none());
        assert_eq!(normalize("/J%C3%B6rg").unwrap(), "/Jörg");
    }

    #[test]
    fn converters_pick_rules() {
        let m = map(&[
            ("/post/<int:id>", "int", GET),
            ("/post/<name>", "name", GET),
            ("/post/new", "new", GET),
        ]);
        assert_eq!(found(m.match_path(&Method::GET, "", "/post/new")).0, 2);
        let (r, v) = found(m.match_path(&Method::GET, "", "/post/12"));
        assert_eq!((r, v), (0, vec![PathValue::Int(12)]));
        assert_eq!(found(m.match_path(&Method::GET, "", "/post/abc")).0, 1);
        let only_int = map(&[("/post/<int:post_id>", "show", GET)]);
        assert!(matches!(
            only_int.match_path(&Method::GET, "", "/post/abc"),
            Match::NotFound
        ));
        assert!(matches!(
            only_int.match_path(&Method::GET, "", "/post/-1"),
            Match::NotFound
        ));
    }

    #[test]
    fn path_values_are_decoded() {
        let m = map(&[
            ("/user/<name>", "user", GET),
            ("/files/<path:p>", "files", GET),
        ]);
        assert_eq!(
            found(m.match_path(&Method::GET, "", "/user/a%2Fb")).1,
            vec![PathValue::Str("a/b".into())]
        );
        assert_eq!(
            found(m.match_path(&Method::GET, "", "/files/a/b%20c")).1,
            vec![PathValue::Str("a/b c".into())]
        );
    }

    #[test]
    fn slashes() {
        let m = map(&[("/projects/", "projects", GET), ("/about", "about", GET)]);
        assert!(
            matches!(m.match_path(&Method::GET, "", "/projects"), Match::Redirect(ref p) if p == "/projects/")
        );
        assert!(matches!(
            m.match_path(&Method::GET, "", "/about/"),
            Match::NotFound
        ));
        assert_eq!(found(m.match_path(&Method::GET, "", "//about")).0, 1);
        assert!(matches!(
            m.match_path(&Method::GET, "", "/about//"),
            Match::NotFound
        ));
        assert!(
            matches!(m.match_path(&Method::GET, "", "/projects//"), Match::Redirect(ref p) if p == "/projects/")
        );
        assert!(matches!(
            m.match_path(&Method::POST, "", "/projects"),
            Match::NotFound
        ));
    }

    #[test]
    fn methods() {
        let m = map(&[
            ("/login", "form", GET),
            ("/login", "submit", &[Method::POST]),
        ]);
        assert_eq!(found(m.match_path(&Method::POST, "", "/login")).0, 1);
        assert_eq!(found(m.match_path(&Method::HEAD, "", "/login")).0, 0);
        match m.match_path(&Method::DELETE, "", "/login") {
            Match::MethodNotAllowed(a, _) => assert_eq!(
                a,
                [Method::GET, Method::HEAD, Method::OPTIONS, Method::POST]
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            m.match_path(&Method::OPTIONS, "", "/login"),
            Match::Options(_)
        ));
    }

    #[test]
    fn an_unknown_endpoint_points_at_a_rule_without_a_name() {
        // `.route("/about", get(about))` with `about` not a #[flask::view]: the endpoint
        // is the rule, and url_for("about") says why it is not found.
        let m = map(&[("/about", "/about", GET), ("/", "index", GET)]);
        let err = m.build("about", &[]).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("The rule '/about' has no endpoint name")
                && message.contains("#[flask::view]")
                && message.contains(".endpoint(\"about\")"),
            "{message}"
        );
        let err = m.build("contact", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Could not build url for endpoint 'contact'."
        );
    }

    #[test]
    fn build_urls() {
        let m = map(&[("/post/<int:id>", "show", GET), ("/", "index", GET)]);
        let v = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            m.build("show", &v(&[("id", "3"), ("q", "a b")])).unwrap().1,
            "/post/3?q=a+b"
        );
        assert!(matches!(
            m.build("show", &[]),
            Err(BuildError::MissingValues { .. })
        ));
        assert!(
            matches!(m.build("shw", &[]), Err(BuildError::UnknownEndpoint { suggestion: Some(ref s), .. }) if s == "show")
        );
        assert!(matches!(
            m.build("show", &v(&[("id", "x")])),
            Err(BuildError::BadValue { .. })
        ));
    }
}
