//! Compose secrets → Secrets Manager secrets (or SSM parameters) that the
//! tasks read, and the references ECS and IAM need for each.

use super::storage::is_safe_name;
use super::{Ctx, Parameter, SecretParameter, SecretSource};
use crate::cfn::Expr;
use crate::cfn::resources::{Condition, InlinePolicy, PolicyDocument, Statement};
use crate::extensions::{self, OneOrMany};
use crate::names;
use compose::node::KeyPath;
use std::collections::BTreeMap;

/// Where a secret's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    SecretsManager,
    /// An SSM Parameter Store parameter.
    Parameter,
}

/// A secret as ECS and IAM name it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRef {
    pub store: Store,
    /// What ECS reads (`valueFrom`): an ARN, or a secret's name.
    pub value_from: Expr,
    /// What IAM grants: the ARN, or an ARN pattern for a name.
    pub grant: Expr,
}

impl SecretRef {
    fn secrets_manager(arn: Expr) -> Self {
        SecretRef {
            store: Store::SecretsManager,
            value_from: arn.clone(),
            grant: arn,
        }
    }
}

/// Read a secret given by the user: a Secrets Manager ARN or name, or an
/// SSM parameter ARN. Anything else is refused with the forms it may take.
pub fn reference(value: &str) -> Result<SecretRef, String> {
    if value.starts_with("arn:") {
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err(format!("{value:?} is not an ARN"));
        };
        let well_formed = !partition.is_empty() && !region.is_empty() && account.len() == 12;
        return match (service, resource) {
            ("secretsmanager", r) if well_formed && r.starts_with("secret:") && r.len() > 7 => {
                Ok(SecretRef::secrets_manager(Expr::str(value)))
            }
            ("ssm", r) if well_formed && r.starts_with("parameter/") && r.len() > 10 => {
                Ok(SecretRef {
                    store: Store::Parameter,
                    value_from: Expr::str(value),
                    grant: Expr::str(value),
                })
            }
            _ => Err(format!(
                "{value:?} is neither a Secrets Manager secret ARN nor an SSM parameter ARN"
            )),
        };
    }
    let valid_name = !value.is_empty()
        && value.len() <= 512
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    if !valid_name {
        return Err(format!("{value:?} is not a secret name or ARN"));
    }
    // Secrets Manager adds six random characters to a secret's ARN.
    Ok(SecretRef {
        store: Store::SecretsManager,
        value_from: Expr::str(value),
        grant: Expr::sub(format!(
            "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{value}-??????"
        )),
    })
}

/// An SSM parameter by name, in the task's region (as ECS reads a bare
/// name); its grant is the parameter's ARN.
pub fn parameter_named(name: &str) -> SecretRef {
    let bare = name.trim_start_matches('/');
    SecretRef {
        store: Store::Parameter,
        value_from: Expr::str(name),
        grant: Expr::sub(format!(
            "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{bare}"
        )),
    }
}

/// What the execution role needs to read these secrets: the secrets
/// themselves, and `kms:Decrypt` on whatever key encrypts them, but only
/// through Secrets Manager or SSM and only for these secrets (AWS's
/// documented scoping, since the key is not known offline).
pub fn grants(name: &str, refs: &[SecretRef]) -> Option<InlinePolicy> {
    let mut statements = Vec::new();
    for (store, action, service, context) in [
        (
            Store::SecretsManager,
            "secretsmanager:GetSecretValue",
            "secretsmanager",
            "kms:EncryptionContext:SecretARN",
        ),
        (
            Store::Parameter,
            "ssm:GetParameters",
            "ssm",
            "kms:EncryptionContext:PARAMETER_ARN",
        ),
    ] {
        let mut arns: Vec<Expr> = Vec::new();
        for r in refs.iter().filter(|r| r.store == store) {
            if !arns.contains(&r.grant) {
                arns.push(r.grant.clone());
            }
        }
        if arns.is_empty() {
            continue;
        }
        statements.push(Statement {
            effect: "Allow".into(),
            principal: None,
            action: vec![action.into()],
            resource: Some(arns.clone()),
            condition: None,
        });
        statements.push(Statement {
            effect: "Allow".into(),
            principal: None,
            action: vec!["kms:Decrypt".into()],
            resource: Some(vec![Expr::str("*")]),
            condition: Some(
                Condition::new(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub(format!("{service}.${{AWS::Region}}.amazonaws.com")),
                )
                .and("StringLike", context, Expr::List(arns.clone())),
            ),
        });
    }
    if statements.is_empty() {
        return None;
    }
    Some(InlinePolicy {
        policy_name: format!("{name}GrantAccessToSecrets"),
        policy_document: PolicyDocument::new(statements).into(),
    })
}

#[derive(Debug, Clone)]
pub struct SecretPlan {
    /// Where the value is (a parameter of the template, or the external
    /// secret).
    pub reference: SecretRef,
    /// JSON keys to write as separate files; empty writes the whole value.
    pub keys: Vec<String>,
}

pub fn secrets(ctx: &mut Ctx) -> BTreeMap<String, SecretPlan> {
    let project = ctx.project;
    let mut out = BTreeMap::new();
    let mut keys: Vec<&String> = project.secrets.keys().collect();
    keys.sort();
    let mut table = names::NameTable::default();
    for key in keys {
        let secret = &project.secrets[key.as_str()];
        let path = KeyPath::root().key("secrets").key(key);
        let reader = ctx.reader(&secret.extensions, path.clone());
        ctx.check_extensions(&reader, extensions::SECRET_KEYS);
        let wanted: Vec<String> = ctx
            .ok(reader.get::<OneOrMany>("x-aws-keys", "a key or a list of keys"))
            .map(OneOrMany::into_vec)
            .unwrap_or_default();
        let Some(norm) = ctx.register_name(&mut table, "secrets", key, &path) else {
            continue;
        };
        let reference = if secret.external {
            match reference(&secret.name) {
                Ok(r) => r,
                Err(why) => {
                    ctx.error(
                        &path.key("name"),
                        format!("external secret {key:?}: {why}"),
                        "set `name:` to the existing secret's name or ARN in Secrets Manager, or to an SSM parameter's ARN",
                    );
                    continue;
                }
            }
        } else {
            let parameter = format!("{norm}SecretArn");
            let name = format!("{}/{key}", project.name);
            ctx.t.parameters.insert(
                parameter.clone(),
                Parameter {
                    kind: "String".into(),
                    description: format!(
                        "ARN of the Secrets Manager secret {name} (docker ecs up stores secret {key} there)"
                    ),
                    default: None,
                    allowed_values: vec![],
                },
            );
            let source = if !secret.file.is_empty() {
                SecretSource::File(secret.file.clone())
            } else {
                SecretSource::Environment(secret.environment.clone())
            };
            ctx.secret_parameters.push(SecretParameter {
                parameter: parameter.clone(),
                secret: key.clone(),
                name,
                source,
            });
            SecretRef::secrets_manager(Expr::reference(parameter))
        };
        let keys = if wanted.iter().any(|k| k == "*") {
            match keys_of_file(secret) {
                Ok(k) => k,
                Err(why) => {
                    ctx.error(
                        &path.key("x-aws-keys"),
                        why,
                        "list the JSON keys to deliver instead of `*`",
                    );
                    Vec::new()
                }
            }
        } else {
            wanted
        };
        for k in &keys {
            if !is_safe_name(k) {
                ctx.error(
                    &path.key("x-aws-keys"),
                    format!("key {k:?} cannot be a file name"),
                    "use keys made of letters, digits, `.`, `_` and `-`",
                );
            }
        }
        if !keys.is_empty() && reference.store == Store::Parameter {
            ctx.error(
                &path.key("x-aws-keys"),
                "`x-aws-keys` needs a Secrets Manager secret: ECS reads JSON keys from those only",
                "remove `x-aws-keys`, or keep the JSON in Secrets Manager",
            );
        }
        out.insert(key.clone(), SecretPlan { reference, keys });
    }
    out
}

/// The top-level keys of a JSON secret file (read for their names only).
fn keys_of_file(secret: &compose::model::FileObject) -> Result<Vec<String>, String> {
    if secret.file.is_empty() {
        return Err(
            "`x-aws-keys: *` needs the keys: only a `file:` secret can be read at conversion"
                .into(),
        );
    }
    let text = compose::read::read_text(
        std::path::Path::new(&secret.file),
        compose::read::SECRET_FILE,
    )
    .map_err(|e| e.message)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| format!("{} is not a JSON document", secret.file))?;
    let obj = value
        .as_object()
        .ok_or_else(|| format!("{} is not a JSON object", secret.file))?;
    let mut keys: Vec<String> = obj.keys().cloned().collect();
    keys.sort();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_take_arns_of_both_stores_and_secret_names() {
        let sm =
            reference("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf").unwrap();
        assert_eq!(sm.store, Store::SecretsManager);
        let p = reference("arn:aws:ssm:eu-west-1:123456789012:parameter/app/db").unwrap();
        assert_eq!(p.store, Store::Parameter);
        let by_name = reference("prod/db-password").unwrap();
        assert_eq!(by_name.value_from, Expr::str("prod/db-password"));
        assert!(
            matches!(by_name.grant, Expr::Sub(ref s) if s.ends_with(":secret:prod/db-password-??????"))
        );
        for bad in [
            "",
            "has space",
            "arn:aws:s3:::bucket",
            "arn:aws:secretsmanager:us-east-1:1:secret:x",
            "arn:aws:ssm:us-east-1:123456789012:document/x",
        ] {
            assert!(reference(bad).is_err(), "{bad}");
        }
    }
}
