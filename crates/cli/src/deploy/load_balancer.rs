//! `x-aws-loadbalancer`: an existing load balancer, by name or ARN. `up`
//! finds it, checks that it is the kind the ports need, and passes its ARN
//! and a security group of its own to the template.

use crate::aws::{self, Aws};
use crate::commands::Failure;
use ecs::convert::ExistingLoadBalancer;

/// The load balancer's ARN and the security group the tasks admit.
pub struct Found {
    pub arn: String,
    pub security_group: String,
}

pub async fn resolve(aws: &Aws, wanted: &ExistingLoadBalancer) -> Result<Found, Failure> {
    let client = aws.elb();
    let value = &wanted.name_or_arn;
    let request = client.describe_load_balancers();
    let request = if value.starts_with("arn:") {
        request.load_balancer_arns(value)
    } else {
        request.names(value)
    };
    let answer = match request.send().await {
        Ok(a) => a,
        Err(e) if aws::code(&e) == Some("LoadBalancerNotFound") => {
            return Err(Failure::Message(format!(
                "x-aws-loadbalancer: no load balancer {value:?} in {}: check the name, or remove x-aws-loadbalancer to create one",
                aws.region
            )));
        }
        Err(e) => {
            return Err(aws::message(
                &format!("looking up load balancer {value}"),
                e,
            ));
        }
    };
    let Some(lb) = answer.load_balancers().first() else {
        return Err(Failure::Message(format!(
            "x-aws-loadbalancer: no load balancer {value:?} in {}",
            aws.region
        )));
    };
    let kind = lb
        .r#type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let needed = if wanted.application {
        "application"
    } else {
        "network"
    };
    if kind != needed {
        let why = if wanted.application {
            "every published port is HTTP(S)"
        } else {
            "some published ports are not HTTP(S)"
        };
        return Err(Failure::Message(format!(
            "x-aws-loadbalancer: {value} is a {kind} load balancer, but {why}, which needs a {needed} load balancer: name one of that kind"
        )));
    }
    let Some(security_group) = lb.security_groups().first() else {
        return Err(Failure::Message(format!(
            "x-aws-loadbalancer: {value} has no security group, so the tasks cannot admit its traffic: attach one to the load balancer"
        )));
    };
    Ok(Found {
        arn: lb.load_balancer_arn().unwrap_or(value).to_string(),
        security_group: security_group.clone(),
    })
}
