//! [`release`]: draw the noise, coarsen the times, attach the randomized sector and region,
//! and write the receipt.
//!
//! Privacy unit: one internal host or event of the reporting member (each count moves by at
//! most `count_sensitivity`), with the member's sector and region. Guarantee: the released
//! object is [`super::Plan::epsilon`]-DP for that unit. Everything done after the OpenDP
//! measurement is invoked — clamping counts into their STIX range, writing JSON, coarsening
//! times, validating — is post-processing of its output or a deterministic function of
//! public parameters, which costs no privacy. The node must have charged the budget (durably)
//! for `plan.epsilon` before calling this and must not send the object if this fails.

use serde_json::{Map, Value};

use super::mechanisms::{self, FieldSpec};
use super::params::category_index;
use super::plan::{build, count_value, Source};
use super::receipt::{PrivacyReceipt, ReceiptEntry, RECEIPT_VERSION};
use super::time::coarsen;
use super::{DpError, DpParams, Plan};
use crate::stix::{validate_object, StixObject};

/// Custom property carrying the randomized-response sector of the reporting member.
pub const SECTOR_PROPERTY: &str = "x_shoal_sector";
/// Custom property carrying the randomized-response region of the reporting member.
pub const REGION_PROPERTY: &str = "x_shoal_region";

/// Privatize `obj` as `plan` (the result of `plan(&obj, params)`) says: OpenDP noise on the
/// counts (drawn from OpenSSL's CSPRNG), coarsened times, randomized sector and region.
/// Returns the privatized object (valid STIX) and its receipt.
///
/// Any `x_shoal_sector` / `x_shoal_region` already on the object is removed: those names
/// carry only randomized-response output.
pub fn release(
    obj: StixObject,
    plan: &Plan,
    params: &DpParams,
) -> Result<(StixObject, PrivacyReceipt), DpError> {
    let (expected, measurement) = build(&obj, params)?;
    if expected != *plan {
        return Err(DpError::PlanMismatch);
    }
    release_built(obj, plan, measurement, params)
}

/// Why [`release_with`] did not release.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseFailure<E> {
    /// Planning or releasing failed.
    #[error(transparent)]
    Dp(#[from] DpError),
    /// `charge` refused the plan (e.g. the budget is exhausted); nothing was measured.
    #[error("{0}")]
    Refused(E),
}

/// Plan `obj`, let `charge` approve the plan (the node checks and durably records the
/// budget spend there), and only then draw the noise — building the OpenDP measurement
/// once. Nothing is measured when `charge` fails. Returns the plan with the release.
pub fn release_with<E>(
    obj: StixObject,
    params: &DpParams,
    charge: impl FnOnce(&Plan) -> Result<(), E>,
) -> Result<(Plan, StixObject, PrivacyReceipt), ReleaseFailure<E>> {
    let (plan, measurement) = build(&obj, params)?;
    charge(&plan).map_err(ReleaseFailure::Refused)?;
    let (object, receipt) = release_built(obj, &plan, measurement, params)?;
    Ok((plan, object, receipt))
}

fn release_built(
    obj: StixObject,
    plan: &Plan,
    measurement: Option<super::mechanisms::ReleaseMeasurement>,
    params: &DpParams,
) -> Result<(StixObject, PrivacyReceipt), DpError> {
    let Value::Object(mut map) = obj.into_value() else {
        return Err(DpError::BadParams(
            "a STIX object is a JSON object".to_owned(),
        ));
    };
    map.remove(SECTOR_PROPERTY);
    map.remove(REGION_PROPERTY);

    let mut entries = Vec::new();
    if let Some(measurement) = measurement {
        let specs: Vec<FieldSpec> = plan.fields().iter().map(|f| f.spec.clone()).collect();
        let values = plan
            .fields()
            .iter()
            .map(|f| true_value(&map, f.source, &f.path, params))
            .collect::<Result<Vec<i64>, DpError>>()?;
        let input = mechanisms::encode_input(&specs, &values)?;
        let noisy = measurement.invoke(&input)?;
        if noisy.len() != plan.fields().len() {
            return Err(DpError::OpenDp(
                "composition returned the wrong number of outputs".to_owned(),
            ));
        }
        for (field, out) in plan.fields().iter().zip(noisy) {
            let mut entry = ReceiptEntry {
                path: field.path.clone(),
                mechanism: String::new(),
                epsilon: field.epsilon,
                scale: None,
                bucket_secs: None,
                categories: None,
                clamped_min: None,
                clamped_max: None,
                sensitivity: None,
            };
            match (field.source, &field.spec) {
                (Source::Count { min, max }, FieldSpec::Count { scale }) => {
                    map.insert(field.path.clone(), Value::from(out.clamp(min, max)));
                    entry.mechanism = "discrete_laplace".to_owned();
                    entry.scale = Some(*scale);
                    entry.clamped_min = Some(min);
                    entry.clamped_max = Some(max);
                    entry.sensitivity = Some(plan.sensitivity());
                }
                (Source::Sector | Source::Region, FieldSpec::Category { .. }) => {
                    let list = categories(field.source, params);
                    let name = usize::try_from(out)
                        .ok()
                        .and_then(|i| list.get(i))
                        .ok_or_else(|| {
                            DpError::OpenDp(format!("randomized response gave index {out}"))
                        })?;
                    map.insert(field.path.clone(), Value::from(name.clone()));
                    entry.mechanism = "randomized_response".to_owned();
                    entry.categories = Some(list.to_vec());
                }
                _ => return Err(DpError::PlanMismatch),
            }
            entries.push(entry);
        }
    }

    for path in plan.time_properties() {
        let coarse = match map.get(path) {
            Some(Value::String(text)) => coarsen(text, plan.bucket_secs()),
            Some(other) => Err(DpError::BadProperty {
                path: path.clone(),
                reason: format!("expected a timestamp string, found {other}"),
            }),
            None => Err(DpError::PlanMismatch),
        }
        .map_err(|e| match e {
            DpError::BadProperty { reason, .. } => DpError::BadProperty {
                path: path.clone(),
                reason,
            },
            other => other,
        })?;
        map.insert(path.clone(), Value::from(coarse));
        entries.push(ReceiptEntry {
            path: path.clone(),
            mechanism: "time_bucket".to_owned(),
            epsilon: 0.0,
            scale: None,
            bucket_secs: Some(plan.bucket_secs()),
            categories: None,
            clamped_min: None,
            clamped_max: None,
            sensitivity: None,
        });
    }

    let receipt = PrivacyReceipt {
        version: RECEIPT_VERSION,
        privacy_unit: privacy_unit(plan.sensitivity()),
        epsilon: plan.epsilon,
        entries,
    };
    let released = validate_object(Value::Object(map), 0)?;
    Ok((released, receipt))
}

/// The receipt's statement of the privacy unit.
pub(crate) fn privacy_unit(sensitivity: u32) -> String {
    format!(
        "one internal host or event of the reporting member (changes each count by at most \
         {sensitivity}), with the member's sector and region"
    )
}

fn categories(source: Source, params: &DpParams) -> &[String] {
    match source {
        Source::Region => &params.regions,
        _ => &params.sectors,
    }
}

fn true_value(
    map: &Map<String, Value>,
    source: Source,
    path: &str,
    params: &DpParams,
) -> Result<i64, DpError> {
    let member = match source {
        Source::Count { .. } => return count_value(map.get(path), path),
        Source::Sector => &params.member_sector,
        Source::Region => &params.member_region,
    };
    let member = member.as_deref().ok_or(DpError::PlanMismatch)?;
    let index = category_index(path, categories(source, params), member)?;
    i64::try_from(index).map_err(|_| DpError::BadParams("too many categories".to_owned()))
}
