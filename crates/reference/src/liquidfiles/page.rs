//! Reading the LiquidFiles pages and XML as a client sees them: a small
//! targeted HTML scanner (tags, attributes, the text of one element) and the
//! `<api_key>` of an XML answer. Shared by the conformance steps
//! (`harness/liquidfiles/api.rs`) and the mock's browser stand-in
//! (`mock/liquidfiles.rs`), which is built without the harness.
//!
//! Not an HTML5 parser: the contract is a handful of elements found by id and
//! name, and a full parser would add a large dependency tree for that. The
//! scanner never panics on any input; what it cannot find is `None`.
//!
//! A page comes from a server nobody vouches for, so the scanner is linear in
//! the page and bounded: it reads the first [`MAX_SCANNED_BYTES`] of a page,
//! at most [`MAX_TAGS`] tags, the first [`MAX_FORMS`] forms and
//! [`MAX_CONTROLS`] controls in each (a LiquidFiles page has a few of each;
//! the 2026-12 audit's page of 100,000 forms stalled the old scanner for
//! minutes). [`over_limits`] says when a page goes beyond them.

use std::collections::HashMap;

/// Bytes of a page that are read; the rest is ignored.
pub const MAX_SCANNED_BYTES: usize = 1 << 20;
/// Start tags read from a page.
pub const MAX_TAGS: usize = 50_000;
/// Forms read from a page.
pub const MAX_FORMS: usize = 64;
/// Controls (inputs, buttons, selects, textareas) read from a form, and
/// options from a select.
pub const MAX_CONTROLS: usize = 1_000;

/// The part of `html` that is read: its first [`MAX_SCANNED_BYTES`], cut at
/// a character boundary.
fn scanned(html: &str) -> &str {
    if html.len() <= MAX_SCANNED_BYTES {
        return html;
    }
    let mut end = MAX_SCANNED_BYTES;
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    &html[..end]
}

/// Why only part of `html` is read, if it is: its size, its tags, its forms.
pub fn over_limits(html: &str) -> Option<String> {
    if html.len() > MAX_SCANNED_BYTES {
        return Some(format!(
            "the page has {} bytes; only the first {MAX_SCANNED_BYTES} are read",
            html.len()
        ));
    }
    let all = tags(html);
    if all.len() >= MAX_TAGS {
        return Some(format!(
            "the page has more than {MAX_TAGS} tags; only the first {MAX_TAGS} are read"
        ));
    }
    let forms = all.iter().filter(|t| t.name == "form").count();
    (forms > MAX_FORMS)
        .then(|| format!("the page has {forms} forms; only the first {MAX_FORMS} are read"))
}

/// The text of the first `<name>` element of an XML document (`api_key`),
/// unescaped; `None` when there is none.
pub fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(unescape(xml[start..end].trim()))
}

/// One start tag of an HTML page.
#[derive(Clone, Debug)]
pub struct Tag {
    pub name: String,
    attrs: Vec<(String, String)>,
    /// Byte offsets of the tag's `<` and just after its `>`.
    pub start: usize,
    pub end: usize,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of `html`, in order (the first [`MAX_TAGS`] of its first
/// [`MAX_SCANNED_BYTES`]). Comments are skipped.
pub fn tags(html: &str) -> Vec<Tag> {
    let html = scanned(html);
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < MAX_TAGS
        && let Some(off) = html[i..].find('<')
    {
        let start = i + off;
        if html[start..].starts_with("<!--") {
            i = html[start..].find("-->").map_or(b.len(), |e| start + e + 3);
            continue;
        }
        let mut j = start + 1;
        if j >= b.len() || !b[j].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        let name = html[start + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let k0 = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !b"=>/".contains(&b[j]) {
                j += 1;
            }
            let key = html[k0..j].to_ascii_lowercase();
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let v0 = j + 1;
                    let v1 = b[v0..]
                        .iter()
                        .position(|c| *c == q)
                        .map_or(b.len(), |p| v0 + p);
                    value = unescape(&html[v0..v1]);
                    j = (v1 + 1).min(b.len());
                } else {
                    let v0 = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = unescape(&html[v0..j]);
                }
            }
            if key.is_empty() {
                j += 1;
            } else {
                attrs.push((key, value));
            }
        }
        let end = (j + 1).min(b.len());
        out.push(Tag {
            name,
            attrs,
            start,
            end,
        });
        i = end;
    }
    out
}

/// A `<select>` or a `<textarea>` of a form, with what a browser submits
/// for it (WHATWG HTML, 4.10.21.4 "constructing the entry list"): a select's
/// selected, enabled options (a single-choice select without a selected
/// option has its first enabled one selected, 4.10.7 "selectedness setting
/// algorithm"); a textarea's text (its raw value: the newline right after
/// the start tag is not part of it).
#[derive(Clone, Debug)]
pub struct OtherControl {
    pub tag: Tag,
    pub values: Vec<String>,
}

/// A form of a page: its attributes and the controls whose form owner it is
/// (WHATWG HTML 4.10.17.3, "association of controls and forms"): those
/// inside it, but for those whose `form` attribute names another form, and
/// those anywhere in the page whose `form` attribute is its id; each list
/// in tree order.
#[derive(Clone, Debug)]
pub struct Form {
    pub tag: Tag,
    pub inputs: Vec<Tag>,
    pub buttons: Vec<Tag>,
    /// Its `<select>`s and `<textarea>`s.
    pub others: Vec<OtherControl>,
}

/// Whether a control is disabled (its own `disabled` attribute).
fn disabled(t: &Tag) -> bool {
    t.attr("disabled").is_some()
}

/// A `<button>`'s type: `submit` unless it says `reset` or `button` (a
/// missing or unknown type is the Submit Button state).
fn button_type(t: &Tag) -> &'static str {
    match t.attr("type").map(str::to_ascii_lowercase).as_deref() {
        Some("reset") => "reset",
        Some("button") => "button",
        _ => "submit",
    }
}

/// `value` with every line break a CR LF, as a form's entries are sent
/// (WHATWG HTML 4.10.21.8, "converting an entry list to a list of name-value
/// pairs").
fn crlf(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

impl Form {
    pub fn input(&self, name: &str) -> Option<&Tag> {
        self.inputs.iter().find(|t| t.attr("name") == Some(name))
    }

    /// The button a person presses to submit: the first enabled submit
    /// button (`<button>` of type submit, `<input type=submit|image>`) the
    /// form owns, in tree order (its default button, 4.10.21.2).
    pub fn submitter(&self) -> Option<&Tag> {
        let inputs = self
            .inputs
            .iter()
            .filter(|t| matches!(input_type(t).as_str(), "submit" | "image"));
        let buttons = self.buttons.iter().filter(|b| button_type(b) == "submit");
        buttons
            .chain(inputs)
            .filter(|t| !disabled(t))
            .min_by_key(|t| t.start)
    }

    /// Where the form goes when `submitter` submits it: the submitter's
    /// `formaction` and `formmethod` before the form's `action` and `method`
    /// (4.10.21.3, "form submission algorithm"); the action as written
    /// (empty: the page's own URL), and whether it is a POST (any method but
    /// `post` is a GET).
    pub fn target(&self, submitter: Option<&Tag>) -> (String, bool) {
        let action = submitter
            .and_then(|b| b.attr("formaction"))
            .or_else(|| self.tag.attr("action"))
            .unwrap_or("")
            .trim()
            .to_owned();
        let method = submitter
            .and_then(|b| b.attr("formmethod"))
            .or_else(|| self.tag.attr("method"))
            .unwrap_or("get");
        (action, method.trim().eq_ignore_ascii_case("post"))
    }

    /// The entries a browser sends when `submitter` submits the form
    /// (4.10.21.4, "constructing the entry list"), in tree order: every
    /// named, enabled control, with `typed` (by index into `inputs`) in place
    /// of the values of those inputs; a checkbox or radio only when checked
    /// (`on` without a value); a button or submit input only when it is the
    /// submitter (an image one as `name.x` and `name.y`); no file input; a
    /// select's chosen options and a textarea's text; line breaks as CR LF.
    pub fn entries(
        &self,
        typed: &[(usize, String)],
        submitter: Option<&Tag>,
    ) -> Vec<(String, String)> {
        let is_submitter = |t: &Tag| submitter.is_some_and(|s| s.start == t.start);
        let mut out: Vec<(usize, String, String)> = Vec::new();
        for (i, t) in self.inputs.iter().enumerate() {
            let Some(name) = t.attr("name").filter(|n| !n.is_empty()) else {
                continue;
            };
            if disabled(t) {
                continue;
            }
            let value = || {
                typed
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| t.attr("value").unwrap_or("").to_owned())
            };
            match input_type(t).as_str() {
                "checkbox" | "radio" => {
                    if t.attr("checked").is_some() {
                        let v = t.attr("value").unwrap_or("on").to_owned();
                        out.push((t.start, name.to_owned(), v));
                    }
                }
                "image" => {
                    if is_submitter(t) {
                        out.push((t.start, format!("{name}.x"), "0".into()));
                        out.push((t.start, format!("{name}.y"), "0".into()));
                    }
                }
                "submit" | "reset" | "button" => {
                    if is_submitter(t) {
                        out.push((t.start, name.to_owned(), value()));
                    }
                }
                "file" => {}
                _ => out.push((t.start, name.to_owned(), value())),
            }
        }
        for b in self.buttons.iter().filter(|b| is_submitter(b)) {
            if let Some(name) = b.attr("name").filter(|n| !n.is_empty()) {
                let value = b.attr("value").unwrap_or("").to_owned();
                out.push((b.start, name.to_owned(), value));
            }
        }
        for o in self.others.iter().filter(|o| !disabled(&o.tag)) {
            if let Some(name) = o.tag.attr("name").filter(|n| !n.is_empty()) {
                for v in &o.values {
                    out.push((o.tag.start, name.to_owned(), v.clone()));
                }
            }
        }
        // Stable: the entries of one control keep their order.
        out.sort_by_key(|(at, _, _)| *at);
        out.into_iter()
            .map(|(_, name, value)| (crlf(&name), crlf(&value)))
            .collect()
    }

    /// The fields the form sends without a button pressed (a script's
    /// `form.submit()`: no submitter), then the given values in place of
    /// (or besides) those of the same name.
    pub fn fields(&self, given: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .entries(&[], None)
            .into_iter()
            .filter(|(k, _)| !given.iter().any(|(g, _)| g == k))
            .collect();
        out.extend(
            given
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        out
    }

    /// The password input, if the form has one.
    pub fn password_input(&self) -> Option<&Tag> {
        self.inputs.iter().find(|t| input_type(t) == "password")
    }

    /// The named inputs a user types a line into (text, email, number, tel,
    /// search; an input without a type is text), in page order.
    pub fn text_inputs(&self) -> Vec<&Tag> {
        self.inputs
            .iter()
            .filter(|t| t.attr("name").is_some())
            .filter(|t| {
                matches!(
                    input_type(t).as_str(),
                    "text" | "email" | "number" | "tel" | "search"
                )
            })
            .collect()
    }
}

/// An input's type, lower-cased; `text` when absent (as browsers read it).
fn input_type(t: &Tag) -> String {
    t.attr("type")
        .map(str::to_ascii_lowercase)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "text".to_owned())
}

/// A page read for its forms: the tags, where each `</form` starts, what
/// the `form` attributes need, and (read once, in one pass) every select's
/// values and the stretches of text inside textareas.
struct Scan<'h> {
    html: &'h str,
    all: Vec<Tag>,
    form_closes: Vec<usize>,
    textarea_closes: Vec<usize>,
    /// The controls with a `form` attribute (indexes into `all`).
    with_form_attr: Vec<usize>,
    /// The first tag with each id, for those controls (empty without them).
    first_with_id: HashMap<String, usize>,
    /// What a browser sends for each select (by index into `all`).
    select_values: HashMap<usize, Vec<String>>,
    /// The byte ranges of textareas' text, disjoint and in order: a tag
    /// there is text, not a control.
    in_textareas: Vec<(usize, usize)>,
}

fn is_control(name: &str) -> bool {
    matches!(name, "input" | "button" | "select" | "textarea")
}

/// Where the element opened by `t` ends: the first of `closes` after it
/// (`len`, the page's end, without one).
fn close_of(t: &Tag, closes: &[usize], len: usize) -> usize {
    let at = closes.partition_point(|c| *c < t.end);
    closes.get(at).copied().unwrap_or(len)
}

impl<'h> Scan<'h> {
    fn new(html: &'h str) -> Scan<'h> {
        let html = scanned(html);
        let all = tags(html);
        let with_form_attr: Vec<usize> = all
            .iter()
            .enumerate()
            .filter(|(_, t)| is_control(&t.name) && t.attr("form").is_some())
            .map(|(i, _)| i)
            .collect();
        let mut first_with_id = HashMap::new();
        if !with_form_attr.is_empty() {
            for (i, t) in all.iter().enumerate() {
                if let Some(id) = t.attr("id") {
                    first_with_id.entry(id.to_owned()).or_insert(i);
                }
            }
        }
        let any = |name: &str| all.iter().any(|t| t.name == name);
        let textarea_closes = if any("textarea") {
            closing_tags(html, "textarea")
        } else {
            Vec::new()
        };
        let mut in_textareas: Vec<(usize, usize)> = Vec::new();
        for t in all.iter().filter(|t| t.name == "textarea") {
            let range = (t.end, close_of(t, &textarea_closes, html.len()));
            match in_textareas.last_mut() {
                Some(last) if range.0 <= last.1 => last.1 = last.1.max(range.1),
                _ => in_textareas.push(range),
            }
        }
        let select_values = if any("select") {
            select_values(html, &all)
        } else {
            HashMap::new()
        };
        Scan {
            html,
            form_closes: closing_tags(html, "form"),
            textarea_closes,
            with_form_attr,
            first_with_id,
            select_values,
            in_textareas,
            all,
        }
    }

    /// Whether byte `at` is in a textarea's text.
    fn in_textarea(&self, at: usize) -> bool {
        let k = self.in_textareas.partition_point(|(start, _)| *start <= at);
        k > 0 && at < self.in_textareas[k - 1].1
    }

    /// The form whose tag is `all[i]` and the controls it owns: those up to
    /// its closing tag whose `form` attribute (if any) names it, and those
    /// elsewhere whose `form` attribute does. The walk stops at that closing
    /// tag or at [`MAX_CONTROLS`], so reading every form costs at most
    /// [`MAX_FORMS`] passes over the tags.
    fn form_at(&self, i: usize) -> Form {
        let tag = &self.all[i];
        let close = close_of(tag, &self.form_closes, self.html.len());
        // The form's id, if it is the first element with it (else a `form`
        // attribute with that id names the other element: no owner).
        let own_id = tag
            .attr("id")
            .filter(|id| self.first_with_id.get(*id).is_none_or(|first| *first == i));
        let owned_by_attr = |t: &Tag| -> Option<bool> {
            let wanted = t.attr("form")?;
            Some(own_id.is_some_and(|id| id == wanted))
        };
        let mut picked: Vec<usize> = Vec::new();
        for (j, t) in self.all.iter().enumerate().skip(i + 1) {
            if t.start >= close || picked.len() >= MAX_CONTROLS {
                break;
            }
            if is_control(&t.name) && owned_by_attr(t).unwrap_or(true) {
                picked.push(j);
            }
        }
        if own_id.is_some() {
            for &j in &self.with_form_attr {
                let inside = j > i && self.all[j].start < close;
                if !inside
                    && owned_by_attr(&self.all[j]) == Some(true)
                    && picked.len() < MAX_CONTROLS
                {
                    picked.push(j);
                }
            }
            picked.sort_unstable();
        }
        let mut form = Form {
            tag: tag.clone(),
            inputs: Vec::new(),
            buttons: Vec::new(),
            others: Vec::new(),
        };
        for j in picked {
            let t = &self.all[j];
            if self.in_textarea(t.start) {
                continue;
            }
            match t.name.as_str() {
                "input" => form.inputs.push(t.clone()),
                "button" => form.buttons.push(t.clone()),
                "select" => form.others.push(OtherControl {
                    tag: t.clone(),
                    values: self.select_values.get(&j).cloned().unwrap_or_default(),
                }),
                "textarea" => form.others.push(OtherControl {
                    tag: t.clone(),
                    values: vec![self.textarea_value(t)],
                }),
                _ => {}
            }
        }
        form
    }

    /// A textarea's text: its content, references resolved, without the
    /// newline right after the start tag, line breaks as LF.
    fn textarea_value(&self, t: &Tag) -> String {
        let close = close_of(t, &self.textarea_closes, self.html.len()).max(t.end);
        let raw = unescape(&self.html[t.end..close])
            .replace("\r\n", "\n")
            .replace('\r', "\n");
        raw.strip_prefix('\n').map(str::to_owned).unwrap_or(raw)
    }
}

/// What a browser sends for each select of the page, in one pass over its
/// tags: the options up to `</select>` (or to a tag that ends a select as
/// HTML's parser reads it: another select, an input, a textarea), each
/// disabled by its own attribute or its optgroup's; then the selectedness
/// of 4.10.7 (one option at most without `multiple`: the last marked
/// `selected`, else in a drop-down the first enabled one) and the
/// selected, enabled options' values (`value`, else the text).
fn select_values(html: &str, all: &[Tag]) -> HashMap<usize, Vec<String>> {
    let closes = closing_tags(html, "select");
    let group_closes = closing_tags(html, "optgroup");
    let mut out = HashMap::new();
    // The open select: its index, its end, its options (value, selected,
    // disabled), where the disabled optgroup open (if any) ends.
    type Open = (usize, usize, Vec<(String, bool, bool)>, Option<usize>);
    let mut open: Option<Open> = None;
    let mut finish = |open: &mut Option<Open>| {
        if let Some((j, _, options, _)) = open.take() {
            out.insert(j, chosen(&all[j], options));
        }
    };
    for (i, t) in all.iter().enumerate() {
        if open.as_ref().is_some_and(|(_, end, _, _)| t.start >= *end) {
            finish(&mut open);
        }
        match t.name.as_str() {
            "select" => {
                finish(&mut open);
                open = Some((i, close_of(t, &closes, html.len()), Vec::new(), None));
            }
            "input" | "textarea" => finish(&mut open),
            "optgroup" => {
                if let Some(o) = open.as_mut() {
                    // An optgroup also ends where the next one starts.
                    o.3 = disabled(t).then(|| close_of(t, &group_closes, html.len()));
                }
            }
            "option" => {
                if let Some((_, end, options, group)) = open.as_mut()
                    && options.len() < MAX_CONTROLS
                {
                    let group_disabled = group.is_some_and(|g| t.start < g);
                    let value = match t.attr("value") {
                        Some(v) => v.to_owned(),
                        None => {
                            let text_end = html[t.end..]
                                .find('<')
                                .map_or(*end, |p| (t.end + p).min(*end))
                                .max(t.end);
                            unescape(&html[t.end..text_end])
                                .split_ascii_whitespace()
                                .collect::<Vec<_>>()
                                .join(" ")
                        }
                    };
                    options.push((
                        value,
                        t.attr("selected").is_some(),
                        group_disabled || disabled(t),
                    ));
                }
            }
            _ => {}
        }
    }
    finish(&mut open);
    out
}

/// The values sent for `select` with these options (value, marked
/// `selected`, disabled).
fn chosen(select: &Tag, mut options: Vec<(String, bool, bool)>) -> Vec<String> {
    let multiple = select.attr("multiple").is_some();
    let size = select
        .attr("size")
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(if multiple { 4 } else { 1 });
    if !multiple {
        let pick = options.iter().rposition(|o| o.1).or_else(|| {
            (size == 1)
                .then(|| options.iter().position(|o| !o.2))
                .flatten()
        });
        for (k, o) in options.iter_mut().enumerate() {
            o.1 = Some(k) == pick;
        }
    }
    options
        .into_iter()
        .filter(|(_, selected, disabled)| *selected && !*disabled)
        .map(|(v, _, _)| v)
        .collect()
}

/// The forms of a page (the first [`MAX_FORMS`]), each with the controls it
/// owns (the first [`MAX_CONTROLS`]).
pub fn forms(html: &str) -> Vec<Form> {
    let scan = Scan::new(html);
    scan.all
        .iter()
        .enumerate()
        .filter(|(_, t)| t.name == "form")
        .take(MAX_FORMS)
        .map(|(i, _)| scan.form_at(i))
        .collect()
}

/// Where each `</name` of `html` starts, in order, found in one pass.
fn closing_tags(html: &str, name: &str) -> Vec<usize> {
    let needle = format!("</{name}");
    html.to_ascii_lowercase()
        .match_indices(&needle)
        .map(|(at, _)| at)
        .collect()
}

/// The sign-in form, found as a browser user finds it whatever its markup:
/// the form with a password input and another line to type the user into.
pub fn login_form(html: &str) -> Option<Form> {
    forms(html)
        .into_iter()
        .find(|f| f.password_input().is_some() && !f.text_inputs().is_empty())
}

/// The user name field of a [`login_form`]: its first text or email input.
pub fn user_input(form: &Form) -> Option<&Tag> {
    form.text_inputs().into_iter().next()
}

/// The second-factor form: no password, exactly one line to type the code
/// into (hidden inputs and buttons aside).
pub fn code_form(html: &str) -> Option<Form> {
    forms(html)
        .into_iter()
        .find(|f| f.password_input().is_none() && f.text_inputs().len() == 1)
}

/// The forms that post to the user's own machine (`localhost`, `127.0.0.1`,
/// `[::1]`): the agent-port callback, whatever the form is called. The host
/// is read by hand, so an action a URL parser refuses (`localhost:abc`,
/// `localhost:65536`) still counts.
pub fn local_forms(html: &str) -> Vec<Form> {
    forms(html)
        .into_iter()
        .filter(|f| f.tag.attr("action").is_some_and(is_local_url))
        .collect()
}

pub fn is_local_url(action: &str) -> bool {
    let a = action.trim().to_ascii_lowercase();
    let Some(rest) = ["http://", "https://", "//"]
        .iter()
        .find_map(|p| a.strip_prefix(p))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or("").to_owned()
    };
    matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]")
}

/// The form with `id`, with the controls it owns.
pub fn form(html: &str, id: &str) -> Option<Form> {
    let scan = Scan::new(html);
    let i = scan
        .all
        .iter()
        .position(|t| t.name == "form" && t.attr("id") == Some(id))?;
    Some(scan.form_at(i))
}

/// The unescaped, trimmed text of the element with `id` (up to its closing tag).
pub fn element_text(html: &str, tag_name: &str, id: &str) -> Option<String> {
    let html = scanned(html);
    let t = tags(html)
        .into_iter()
        .find(|t| t.name == tag_name && t.attr("id") == Some(id))?;
    let close = html[t.end..]
        .to_ascii_lowercase()
        .find(&format!("</{tag_name}"))
        .map_or(html.len(), |p| t.end + p);
    Some(unescape(html[t.end..close].trim()))
}

/// The element with `id`, if any (any tag).
pub fn element(html: &str, id: &str) -> Option<Tag> {
    tags(html).into_iter().find(|t| t.attr("id") == Some(id))
}

/// The page with the values of hidden inputs and the text of textareas
/// blanked: two refusals compare equal when only their per-login ids (or
/// state) differ.
pub fn without_hidden_values(html: &str) -> String {
    let html = scanned(html);
    let all = tags(html);
    let textarea_closes = closing_tags(html, "textarea");
    let mut out = String::new();
    let mut last = 0;
    for t in &all {
        if t.start < last {
            continue;
        }
        if t.name == "input" && t.attr("type") == Some("hidden") {
            out.push_str(&html[last..t.start]);
            out.push_str("<input type=hidden>");
            last = t.end;
        } else if t.name == "textarea" {
            out.push_str(&html[last..t.end]);
            last = close_of(t, &textarea_closes, html.len());
        }
    }
    out.push_str(&html[last..]);
    out
}

/// Resolves HTML/XML character references and the common named entities.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // A reference is short: look no further than 10 bytes for its `;`
        // (searching the whole rest for each `&` would be quadratic).
        let end = after.bytes().take(11).position(|c| c == b';');
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let n = name.strip_prefix('#')?;
                    let v = match n.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(v)
                }
            }?;
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_elements() {
        let html = r#"<form id="login" method="post" action="api"><input type="hidden" name="login_id" value="a&amp;b"><input name=user><button type="submit" id="sign_in">x</button></form><div class="d-none" id="api_key"> K1 </div><!-- <form id="x"> -->"#;
        let f = form(html, "login").unwrap();
        assert_eq!(f.tag.attr("action"), Some("api"));
        assert_eq!(f.input("login_id").unwrap().attr("value"), Some("a&b"));
        assert!(f.input("user").is_some());
        assert_eq!(f.buttons[0].attr("id"), Some("sign_in"));
        assert_eq!(element_text(html, "div", "api_key").as_deref(), Some("K1"));
        assert!(form(html, "x").is_none());
        assert_eq!(
            f.fields(&[("user", "u")]),
            vec![
                ("login_id".into(), "a&b".into()),
                ("user".into(), "u".into())
            ]
        );
        let variant = r#"<form id="new_user" action="api" method="post"><input type="hidden" name="authenticity_token" value="t"><input type="email" name="user[email]"><input type="password" name="user[password]"><input type="checkbox" name="user[remember_me]" value="1"><input type="submit" name="commit" value="Log in"></form><form name="agent" method="POST" action="http://localhost:80x"><input type="hidden" name="api_key" value="K"></form>"#;
        let login = login_form(variant).unwrap();
        assert_eq!(
            user_input(&login).unwrap().attr("name"),
            Some("user[email]")
        );
        assert_eq!(
            login.fields(&[("user[email]", "u"), ("user[password]", "p")]),
            vec![
                ("authenticity_token".into(), "t".into()),
                ("user[email]".into(), "u".into()),
                ("user[password]".into(), "p".into())
            ]
        );
        assert!(code_form(variant).is_none());
        assert_eq!(local_forms(variant).len(), 1);
        assert!(local_forms(html).is_empty());
        let otp = r#"<form action="two_factor" method="post"><input type="hidden" name="t" value="x"><input type="tel" name="user[otp_attempt]"><input type="submit" name="commit"></form>"#;
        assert_eq!(code_form(otp).unwrap().text_inputs().len(), 1);
        for junk in ["<", "<a", "<a b='", "<a b=\"x", "&#xFFFFFFFF;", "<a =>"] {
            let _ = tags(junk);
            let _ = unescape(junk);
        }
    }

    #[test]
    fn a_form_ends_at_its_own_closing_tag_in_any_case() {
        let html = r#"<form id=a><input name=x></FORM><input name=outside><form id=b><button id=go></button><input name=y>"#;
        let all = forms(html);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].inputs.len(), 1);
        assert!(all[0].input("outside").is_none());
        assert_eq!(all[1].buttons.len(), 1);
        assert!(all[1].input("y").is_some(), "no </form>: up to the end");
        assert!(over_limits(html).is_none());
    }

    /// WHATWG HTML 4.10.21.4, "constructing the entry list": the controls a
    /// form owns (4.10.17.3: inside it unless `form=` names another form,
    /// or anywhere with `form=` its id), selects and textareas, the
    /// submitter alone of the buttons, in tree order, line breaks as CR LF;
    /// and the submitter's formaction and formmethod (4.10.21.3).
    #[test]
    fn the_entry_list_is_what_a_browser_sends() {
        let html = r#"<input type="hidden" name="login_id" value="L1" form="login">
<form id="other"><input name="not-ours" form="login"></form>
<form id="login" action="help" method="get">
<textarea name="state" hidden>
S&amp;1
line2</textarea>
<input name="user">
<input name="elsewhere" form="other">
<select name="realm"><option value="ldap">LDAP</option><option value="local" selected>Local</option></select>
<select name="locale"><option disabled>--</option><option>  English
 (UK) </option><option value="de">Deutsch</option></select>
<select name="many" multiple><option value="a" selected><option value="b"><option value="c" selected></select>
<select name="none" size="3"><option value="x"></select>
<select name="last"><option value="p" selected><option value="q" selected></select>
<select name="group"><optgroup label="g" disabled><option value="r"></optgroup><option value="s"></select>
<input type="checkbox" name="remember" checked><input type="checkbox" name="news">
<input name="off" disabled value="x">
<button type="button" name="b0">Show</button>
<button name="go" value="1" formaction="api" formmethod="post">Sign in</button>
<input type="submit" name="commit" value="Other">
</form>
<input name="after" form="login" value="A">"#;
        let all = forms(html);
        assert_eq!(all.len(), 2);
        let other = &all[0];
        assert_eq!(other.inputs.len(), 1);
        assert_eq!(other.inputs[0].attr("name"), Some("elsewhere"));
        let login = &all[1];
        let go = login.submitter().expect("a submit button");
        assert_eq!(go.attr("name"), Some("go"));
        let user = login
            .inputs
            .iter()
            .position(|t| t.attr("name") == Some("user"))
            .unwrap();
        let pairs: Vec<(String, String)> = login.entries(&[(user, "u".into())], Some(go));
        let want: Vec<(String, String)> = [
            ("login_id", "L1"),
            ("not-ours", ""),
            ("state", "S&1\r\nline2"),
            ("user", "u"),
            ("realm", "local"),
            ("locale", "English (UK)"),
            ("many", "a"),
            ("many", "c"),
            ("last", "q"),
            ("group", "s"),
            ("remember", "on"),
            ("go", "1"),
            ("after", "A"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(pairs, want);
        assert_eq!(login.target(Some(go)), ("api".to_owned(), true));
        assert_eq!(login.target(None), ("help".to_owned(), false));
        // No button pressed (a script's submit()): no button's entry.
        assert!(login.fields(&[]).iter().all(|(k, _)| k != "go"));
    }

    #[test]
    fn a_form_attribute_names_the_first_element_with_its_id_and_textareas_hold_text() {
        // The first element with the id is a div: the form= input has no owner.
        let html = r#"<div id="f"></div><form id="f"><input name="a"><textarea name="t"><input name="fake"></textarea></form><input name="b" form="f">"#;
        let f = &forms(html)[0];
        let names: Vec<&str> = f.inputs.iter().filter_map(|t| t.attr("name")).collect();
        assert_eq!(names, ["a"]);
        assert_eq!(
            f.entries(&[], None),
            vec![
                ("a".to_owned(), String::new()),
                ("t".to_owned(), "<input name=\"fake\">".to_owned())
            ]
        );
        // A select ends where the parser ends it: at an input.
        let cut =
            r#"<form><select name="s"><option value="1"><input name="i"><option value="2"></form>"#;
        assert_eq!(
            forms(cut)[0].entries(&[], None),
            vec![
                ("s".to_owned(), "1".to_owned()),
                ("i".to_owned(), String::new())
            ]
        );
    }

    /// R2 of the 2026-12 audit: 100,000 forms took the old scanner over ten
    /// minutes. Bounded now: the caps hold and the answer is prompt (the
    /// speed itself is measured by `bench/attack.sh`).
    #[test]
    fn a_page_of_many_forms_is_read_within_the_caps() {
        let one = r#"<form method="post" action="api"><input type="hidden" name="login_id" value="x"><input name="user"><input type="password" name="password"><button>Sign in</button></form>"#;
        let html = one.repeat(100_000);
        assert!(html.len() > MAX_SCANNED_BYTES);
        let found = forms(&html);
        assert_eq!(found.len(), MAX_FORMS);
        assert!(found.iter().all(|f| f.inputs.len() == 3));
        assert!(login_form(&html).is_some());
        assert!(over_limits(&html).unwrap().contains("bytes"));
        let small = one.repeat(100);
        assert!(over_limits(&small).unwrap().contains("100 forms"));
        // Unclosed forms, each holding every later control, stop at the caps.
        let unclosed = "<form><input name=a>".repeat(40_000);
        let found = forms(&unclosed);
        assert_eq!(found.len(), MAX_FORMS);
        assert!(found.iter().all(|f| f.inputs.len() <= MAX_CONTROLS));
        assert_eq!(tags(&"<b>".repeat(MAX_TAGS + 5)).len(), MAX_TAGS);
        let ampersands = "&".repeat(256 * 1024);
        assert_eq!(unescape(&ampersands), ampersands);
        assert_eq!(unescape("&amp;&#x41;&#66;&bogus"), "&AB&bogus");
    }
}
