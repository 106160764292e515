//! Where the project runs: `x-aws-vpc` or the default VPC, and one public
//! subnet in each of as many availability zones as the template asks for.

use crate::aws::ec2::{Ec2, RouteTable, Subnet};
use crate::commands::Failure;
use std::collections::BTreeMap;

pub struct Network {
    pub vpc: String,
    pub subnets: Vec<String>,
    /// For EC2 capacity: private subnets with a NAT route, in the zones of
    /// `subnets` (tasks there get no public IP).
    pub private_subnets: Vec<String>,
}

/// Fill the template's `VpcId`, `Subnet1..N` and `PrivateSubnet1..N`.
/// Defaults written into the template (from `x-aws-vpc`, `x-aws-subnets`,
/// `x-aws-private_subnets`) win; they are checked too.
pub async fn resolve(
    ec2: &Ec2,
    vpc_default: Option<&str>,
    subnet_defaults: &[Option<String>],
    private_defaults: &[Option<String>],
) -> Result<Network, Failure> {
    let count = subnet_defaults.len();
    let vpc = match vpc_default {
        Some(v) => {
            if !ec2.vpc_exists(v).await.map_err(Failure::Message)? {
                return Err(Failure::Message(format!(
                    "x-aws-vpc: VPC {v} does not exist in this account and region"
                )));
            }
            v.to_string()
        }
        None => ec2.default_vpc().await.map_err(Failure::Message)?.ok_or_else(|| {
            Failure::Message(
                "this region has no default VPC: set x-aws-vpc (and x-aws-subnets) in the Compose file"
                    .into(),
            )
        })?,
    };
    let named = |defaults: &[Option<String>]| {
        (!defaults.is_empty() && defaults.iter().all(Option::is_some))
            .then(|| defaults.iter().flatten().cloned().collect::<Vec<String>>())
    };
    let mut all_subnets = None;
    let mut tables = None;
    let subnets = match named(subnet_defaults) {
        Some(ids) => {
            let found = ec2.subnets_by_id(&ids).await.map_err(Failure::Message)?;
            check_named("x-aws-subnets", &ids, &found).map_err(Failure::Message)?;
            ids
        }
        None => {
            let s = ec2.subnets(&vpc).await.map_err(Failure::Message)?;
            let t = ec2.route_tables(&vpc).await.map_err(Failure::Message)?;
            let chosen = choose(&vpc, &s, &t, count).map_err(Failure::Message)?;
            all_subnets = Some(s);
            tables = Some(t);
            chosen
        }
    };
    let private_subnets = match named(private_defaults) {
        _ if private_defaults.is_empty() => Vec::new(),
        Some(ids) => {
            let found = ec2.subnets_by_id(&ids).await.map_err(Failure::Message)?;
            check_named("x-aws-private_subnets", &ids, &found).map_err(Failure::Message)?;
            ids
        }
        None => {
            let s = match all_subnets {
                Some(s) => s,
                None => ec2.subnets(&vpc).await.map_err(Failure::Message)?,
            };
            let t = match tables {
                Some(t) => t,
                None => ec2.route_tables(&vpc).await.map_err(Failure::Message)?,
            };
            choose_private(&vpc, &s, &t, &subnets, private_defaults.len())
                .map_err(Failure::Message)?
        }
    };
    Ok(Network {
        vpc,
        subnets,
        private_subnets,
    })
}

/// A subnet is private with a way out when its route table (or else the
/// VPC's main table) sends 0.0.0.0/0 to a NAT gateway.
fn has_nat(subnet: &str, tables: &[RouteTable]) -> bool {
    match tables
        .iter()
        .find(|t| t.subnets.iter().any(|s| s == subnet))
    {
        Some(t) => t.nat,
        None => tables.iter().any(|t| t.main && t.nat),
    }
}

/// One private subnet with a NAT route per zone, in the zones of the
/// public subnets first (EFS mount targets live there), `count` of them.
pub fn choose_private(
    vpc: &str,
    subnets: &[Subnet],
    tables: &[RouteTable],
    public: &[String],
    count: usize,
) -> Result<Vec<String>, String> {
    let zone_of = |id: &str| subnets.iter().find(|s| s.id == id).map(|s| s.zone.as_str());
    let mut by_zone: BTreeMap<&str, Vec<&Subnet>> = BTreeMap::new();
    for s in subnets.iter().filter(|s| has_nat(&s.id, tables)) {
        by_zone.entry(&s.zone).or_default().push(s);
    }
    if by_zone.len() < count {
        return Err(format!(
            "Tasks without a public IP (GPU services on EC2, services with x-aws-assign_public_ip: false) need private subnets whose route table sends 0.0.0.0/0 to a NAT gateway, in {count} availability zones, and VPC {vpc} has them in {}. Add a NAT gateway and private subnets (or VPC endpoints for ECS, ECR, CloudWatch Logs and Secrets Manager), or list them with x-aws-private_subnets",
            by_zone.len()
        ));
    }
    let mut zones: Vec<&str> = public.iter().filter_map(|p| zone_of(p)).collect();
    zones.extend(by_zone.keys().copied());
    let mut chosen = Vec::new();
    for zone in zones {
        if chosen.len() == count {
            break;
        }
        if let Some(list) = by_zone.remove(zone) {
            let mut list = list;
            list.sort_by_key(|s| s.id.clone());
            chosen.push(list[0].id.clone());
        }
    }
    Ok(chosen)
}

/// A subnet is public when its route table (its own, or else the VPC's main
/// table) sends 0.0.0.0/0 to an internet gateway.
fn is_public(subnet: &str, tables: &[RouteTable]) -> bool {
    match tables
        .iter()
        .find(|t| t.subnets.iter().any(|s| s == subnet))
    {
        Some(t) => t.internet,
        None => tables.iter().any(|t| t.main && t.internet),
    }
}

/// One public subnet per availability zone (the zone's default subnet
/// first), in zone order, `count` of them.
pub fn choose(
    vpc: &str,
    subnets: &[Subnet],
    tables: &[RouteTable],
    count: usize,
) -> Result<Vec<String>, String> {
    let mut by_zone: BTreeMap<&str, Vec<&Subnet>> = BTreeMap::new();
    for s in subnets.iter().filter(|s| is_public(&s.id, tables)) {
        by_zone.entry(&s.zone).or_default().push(s);
    }
    if by_zone.len() < count {
        let zones: Vec<&str> = by_zone.keys().copied().collect();
        return Err(format!(
            "VPC {vpc} has public subnets in {} availability zone(s) ({}), and the load balancer and services need {count}: add public subnets in other zones, or list subnets with x-aws-subnets",
            zones.len(),
            if zones.is_empty() {
                "none".to_string()
            } else {
                zones.join(", ")
            }
        ));
    }
    Ok(by_zone
        .into_values()
        .take(count)
        .map(|mut list| {
            list.sort_by_key(|s| (!s.default_for_zone, s.id.clone()));
            list[0].id.clone()
        })
        .collect())
}

/// Named subnets must exist and lie in distinct zones (EFS mount targets
/// and load balancers allow one subnet per zone).
fn check_named(key: &str, ids: &[String], found: &[Subnet]) -> Result<(), String> {
    let mut zones: BTreeMap<&str, &str> = BTreeMap::new();
    for id in ids {
        let Some(s) = found.iter().find(|s| &s.id == id) else {
            return Err(format!(
                "{key}: subnet {id} does not exist in this account and region"
            ));
        };
        if let Some(other) = zones.insert(&s.zone, id) {
            return Err(format!(
                "{key}: {other} and {id} are both in {}; list one subnet per availability zone",
                s.zone
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(id: &str, zone: &str, default: bool) -> Subnet {
        Subnet {
            id: id.into(),
            zone: zone.into(),
            default_for_zone: default,
        }
    }

    /// The VPC's main table, with a route to an internet gateway.
    fn main_public_table() -> RouteTable {
        RouteTable {
            main: true,
            subnets: vec![],
            internet: true,
            nat: false,
        }
    }

    /// A table of these subnets whose way out is a NAT gateway.
    fn nat_table(subnets: &[&str]) -> RouteTable {
        RouteTable {
            main: false,
            subnets: subnets.iter().map(|s| s.to_string()).collect(),
            internet: false,
            nat: true,
        }
    }

    #[test]
    fn picks_one_public_subnet_per_zone() {
        let subnets = [
            subnet("subnet-b2", "us-east-1b", false),
            subnet("subnet-a1", "us-east-1a", false),
            subnet("subnet-a0", "us-east-1a", true),
            subnet("subnet-p", "us-east-1c", false),
        ];
        // subnet-p is private: its own table has no internet route.
        let tables = [main_public_table(), nat_table(&["subnet-p"])];
        assert_eq!(
            choose("vpc-1", &subnets, &tables, 2).unwrap(),
            ["subnet-a0", "subnet-b2"]
        );
        let err = choose("vpc-1", &subnets, &tables, 3).unwrap_err();
        assert!(
            err.contains("2 availability zone(s) (us-east-1a, us-east-1b)"),
            "{err}"
        );
    }

    #[test]
    fn private_subnets_with_a_nat_route_are_chosen_in_the_public_zones_first() {
        let subnets = [
            subnet("subnet-pub-a", "a", true),
            subnet("subnet-pub-b", "b", true),
            subnet("subnet-priv-c", "c", false),
            subnet("subnet-priv-b", "b", false),
            subnet("subnet-priv-a", "a", false),
        ];
        let tables = [
            main_public_table(),
            nat_table(&["subnet-priv-a", "subnet-priv-b", "subnet-priv-c"]),
        ];
        let public = ["subnet-pub-b".to_string(), "subnet-pub-a".to_string()];
        assert_eq!(
            choose_private("vpc-1", &subnets, &tables, &public, 2).unwrap(),
            ["subnet-priv-b", "subnet-priv-a"]
        );
        let none = [tables[0].clone()];
        let err = choose_private("vpc-1", &subnets, &none, &public, 2).unwrap_err();
        assert!(err.contains("NAT gateway"), "{err}");
        assert!(err.contains("x-aws-private_subnets"), "{err}");
    }

    #[test]
    fn a_vpc_without_internet_route_has_no_public_subnet() {
        let subnets = [subnet("subnet-a", "a", true), subnet("subnet-b", "b", true)];
        let err = choose("vpc-1", &subnets, &[], 2).unwrap_err();
        assert!(err.contains("0 availability zone(s) (none)"), "{err}");
    }

    #[test]
    fn named_subnets_must_exist_in_distinct_zones() {
        let found = [
            subnet("subnet-a", "z1", false),
            subnet("subnet-b", "z1", false),
        ];
        let ids = ["subnet-a".to_string(), "subnet-b".to_string()];
        assert!(
            check_named("x-aws-subnets", &ids, &found)
                .unwrap_err()
                .contains("both in z1")
        );
        let ids = ["subnet-a".to_string(), "subnet-x".to_string()];
        assert!(
            check_named("x-aws-subnets", &ids, &found)
                .unwrap_err()
                .contains("subnet-x does not exist")
        );
    }
}
