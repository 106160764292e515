//! `x-aws-secrets_env`: secrets as environment variables, which ECS fills
//! from Secrets Manager or SSM when the task starts. The template holds
//! only references; the execution role may read exactly these.

use crate::cfn::Expr;
use crate::cfn::resources::ContainerSecret;
use crate::convert::Ctx;
use crate::convert::secrets::{self, SecretRef};
use compose::model::Service;
use compose::node::KeyPath;
use std::collections::BTreeMap;

pub fn read(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> (Vec<ContainerSecret>, Vec<SecretRef>) {
    let key = path.key("x-aws-secrets_env");
    let reader = ctx.reader(&s.extensions, path.clone());
    let asked: Option<BTreeMap<String, String>> = ctx.ok(reader.get(
        "x-aws-secrets_env",
        "a mapping of variable names to secret ARNs or names",
    ));
    let (mut vars, mut grants) = (Vec::new(), Vec::new());
    for (var, value) in asked.unwrap_or_default() {
        let at = key.key(&var);
        if !crate::names::is_env_variable(&var) {
            ctx.error(
                &at,
                format!("{var:?} is not an environment variable name"),
                "use letters, digits and _, not starting with a digit",
            );
            continue;
        }
        if s.environment.contains_key(var.as_str()) {
            ctx.error(
                &at,
                format!("{var} is set by `environment` and by `x-aws-secrets_env`"),
                "keep it in one of them",
            );
            continue;
        }
        match reference(&value) {
            Ok((value_from, grant)) => {
                vars.push(ContainerSecret {
                    name: var,
                    value_from,
                });
                crate::convert::push_new(&mut grants, [grant]);
            }
            Err(why) => ctx.error(
                &at,
                why,
                "give a Secrets Manager secret ARN or name (with `:json-key` to take one key), an SSM parameter ARN, or an SSM parameter name starting with /",
            ),
        }
    }
    (vars, grants)
}

/// What ECS reads (`valueFrom`) and what the execution role is granted.
/// A `:json-key` suffix takes one key of a Secrets Manager JSON secret:
/// ECS's form is `<secret>:<json-key>:<version-stage>:<version-id>`.
fn reference(value: &str) -> Result<(Expr, SecretRef), String> {
    if value.starts_with('/') {
        let r = secrets::parameter_named(value);
        return Ok((r.value_from.clone(), r));
    }
    let (secret, json_key) = split_json_key(value);
    let r = secrets::reference(secret)?;
    let value_from = match (json_key, r.store) {
        (None, _) => r.value_from.clone(),
        (Some(k), secrets::Store::SecretsManager) if !k.is_empty() => match &r.value_from {
            Expr::Str(s) if s.starts_with("arn:") => Expr::str(format!("{s}:{k}::")),
            // By name: the secret's partial ARN in the task's region.
            _ => Expr::sub(format!(
                "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{secret}:{k}::"
            )),
        },
        _ => {
            return Err(format!(
                "{value:?}: only a Secrets Manager secret takes a JSON key"
            ));
        }
    };
    Ok((value_from, r))
}

/// `arn:…:secret:name-AbCdEf:key` or `name:key` → (secret, key).
fn split_json_key(value: &str) -> (&str, Option<&str>) {
    if value.starts_with("arn:") {
        // arn:partition:service:region:account:secret:name[:key]
        let colons: Vec<usize> = value.match_indices(':').map(|(i, _)| i).collect();
        return match colons.get(6) {
            Some(&i) => (&value[..i], Some(&value[i + 1..])),
            None => (value, None),
        };
    }
    match value.split_once(':') {
        Some((name, key)) => (name, Some(key)),
        None => (value, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_split_from_arns_and_names() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
        assert_eq!(split_json_key(arn), (arn, None));
        assert_eq!(
            split_json_key(&format!("{arn}:password")),
            (arn, Some("password"))
        );
        assert_eq!(split_json_key("db:password"), ("db", Some("password")));
        assert_eq!(split_json_key("db"), ("db", None));
    }

    #[test]
    fn values_become_references_ecs_reads() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
        let (from, _) = reference(&format!("{arn}:password")).unwrap();
        assert_eq!(from, Expr::str(format!("{arn}:password::")));
        let (from, r) = reference("/prod/token").unwrap();
        assert_eq!(from, Expr::str("/prod/token"));
        assert_eq!(r.store, secrets::Store::Parameter);
        assert!(reference("arn:aws:s3:::bucket").is_err());
    }
}
