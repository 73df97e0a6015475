//! Handlebars set-up: every `templates/**/*.hbs` file registered under its path without the
//! extension (`catalogue/index`), plus helpers that read the page language from the root
//! context (`lang`), so templates never decide a language themselves.

use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};

use crate::assets::Templates;
use crate::domain::vat::VatRate;
use crate::domain::{Cents, Language};
use crate::i18n::{args_from_json, Translations};

pub fn build(translations: Arc<Translations>) -> anyhow::Result<Handlebars<'static>> {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(false);
    for path in Templates::iter().filter(|p| !p.starts_with("mail/")) {
        let Some(name) = path.strip_suffix(".hbs") else {
            continue;
        };
        let file =
            Templates::get(&path).ok_or_else(|| anyhow::anyhow!("template {path} vanished"))?;
        let source = String::from_utf8(file.data.into_owned())?;
        handlebars
            .register_template_string(name, source)
            .map_err(|e| anyhow::anyhow!("template {path}: {e}"))?;
    }
    handlebars.register_helper("t", Box::new(Translate(translations)));
    register_formatting_helpers(&mut handlebars);
    Ok(handlebars)
}

handlebars::handlebars_helper!(concat: |*args| args.iter().map(|v| match v {
    serde_json::Value::String(s) => s.clone(),
    other => other.to_string(),
}).collect::<String>());
handlebars::handlebars_helper!(add1: |n: i64| n + 1);

/// `money`, `vat`, `date`, `concat` and `add1`, shared by pages and emails.
pub fn register_formatting_helpers(handlebars: &mut Handlebars<'static>) {
    handlebars.register_helper("concat", Box::new(concat));
    handlebars.register_helper("add1", Box::new(add1));
    handlebars.register_helper("money", Box::new(money));
    handlebars.register_helper("vat", Box::new(vat));
    handlebars.register_helper("date", Box::new(date));
}

fn page_language(ctx: &Context) -> Language {
    ctx.data()
        .get("lang")
        .and_then(|v| v.as_str())
        .and_then(Language::parse)
        .unwrap_or_default()
}

/// `{{t "message-id" name=value ...}}`: the message in the page's language.
struct Translate(Arc<Translations>);

/// Returned as a value rather than written out, so handlebars escapes it exactly once:
/// in `{{t ..}}` output and in `{{> partial label=(t ..)}}` alike.
impl HelperDef for Translate {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("t", 0)))?;
        let language = match h.hash_get("lang").and_then(|v| v.value().as_str()) {
            Some(code) => Language::parse(code).unwrap_or_default(),
            None => page_language(ctx),
        };
        let args = if h.hash().is_empty() {
            None
        } else {
            Some(args_from_json(
                h.hash().iter().map(|(k, v)| (*k, v.value())),
            ))
        };
        let text = self.0.text(language, key, args.as_ref());
        Ok(ScopedJson::Derived(serde_json::Value::String(text)))
    }
}

/// `{{money cents}}`: an amount in the page's language ("1 234,56 €" / "€ 1.234,56").
fn money(
    h: &Helper,
    _: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let cents = h
        .param(0)
        .and_then(|p| p.value().as_i64())
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("money", 0)))?;
    out.write(&handlebars::html_escape(
        &Cents::new(cents).format(page_language(ctx)),
    ))?;
    Ok(())
}

/// `{{vat basis_points}}`: a VAT rate ("21 %" / "21%").
fn vat(
    h: &Helper,
    _: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let Some(points) = h.param(0).and_then(|p| p.value().as_u64()) else {
        return Ok(());
    };
    if let Ok(rate) = VatRate::from_basis_points(points as u32) {
        out.write(&handlebars::html_escape(&rate.format(page_language(ctx))))?;
    }
    Ok(())
}

/// `{{date "2026-03-01"}}`: a date as people write it in Belgium (1/3/2026 → 01/03/2026).
fn date(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let Some(text) = h.param(0).and_then(|p| p.value().as_str()) else {
        return Ok(());
    };
    match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) => out.write(&day.format("%d/%m/%Y").to_string())?,
        Err(_) => out.write(&handlebars::html_escape(text))?,
    }
    Ok(())
}
