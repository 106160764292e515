//! Where the project runs: `x-aws-vpc` or the default VPC; the tasks'
//! subnets (private ones behind a NAT gateway when the VPC has them, else
//! public ones, with a public IP); the load balancer's subnets (public for
//! an internet-facing one, private for an internal one) in the tasks' zones.
//! Choosing is pure (`VpcView`); `resolve` reads the VPC once.

use crate::aws::ec2::{Ec2, RouteTable, Subnet};
use crate::commands::Failure;
use ecs::convert::{NetworkNeeds, Scheme};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub vpc: String,
    pub tasks: Vec<String>,
    /// The tasks' subnets are public: tasks get a public IP.
    pub public_ip: bool,
    pub load_balancer: Vec<String>,
}

/// Subnets the template or the deployed stack already names.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// From the Compose file (`x-aws-subnets`, …): they must fit.
    pub named: Option<Vec<String>>,
    /// From the deployed stack: kept when they still fit, so that tasks
    /// and EFS mount targets (one per zone) stay where they are.
    pub deployed: Option<Vec<String>>,
    /// How many the template asks for.
    pub count: usize,
}

pub async fn resolve(
    ec2: &Ec2,
    vpc_default: Option<&str>,
    needs: &NetworkNeeds,
    tasks: &Given,
    load_balancer: &Given,
) -> Result<Network, Failure> {
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
    let view = VpcView {
        subnets: ec2.subnets(&vpc).await.map_err(Failure::Message)?,
        tables: ec2.route_tables(&vpc).await.map_err(Failure::Message)?,
        endpoints: ec2.vpc_endpoints(&vpc).await.map_err(Failure::Message)?,
        vpc,
    };
    view.place(needs, tasks, load_balancer)
        .map_err(Failure::Message)
}

/// How a subnet reaches the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// A default route to an internet gateway.
    Public,
    /// A default route to a NAT gateway.
    Nat,
    /// Neither: only VPC endpoints reach AWS.
    Isolated,
}

/// One VPC as `up` read it.
pub struct VpcView {
    pub vpc: String,
    pub subnets: Vec<Subnet>,
    pub tables: Vec<RouteTable>,
    /// Service names of its endpoints.
    pub endpoints: Vec<String>,
}

impl VpcView {
    pub fn place(
        &self,
        needs: &NetworkNeeds,
        tasks: &Given,
        load_balancer: &Given,
    ) -> Result<Network, String> {
        let (task_ids, public_ip) = match (&tasks.named, &tasks.deployed) {
            (Some(ids), _) => (ids.clone(), self.check_tasks(needs, ids, "x-aws-subnets")?),
            (None, Some(ids)) if ids.len() == tasks.count => {
                match self.check_tasks(needs, ids, "the deployed subnets") {
                    Ok(public) => (ids.clone(), public),
                    Err(_) => self.choose_tasks(needs, tasks.count)?,
                }
            }
            _ => self.choose_tasks(needs, tasks.count)?,
        };
        let lb_ids = match needs.load_balancer {
            None => Vec::new(),
            Some(scheme) => match (&load_balancer.named, &load_balancer.deployed) {
                (Some(ids), _) => {
                    self.check_load_balancer(scheme, ids, &task_ids, "x-aws-loadbalancer_subnets")?;
                    ids.clone()
                }
                // Kept while they still suit the scheme (a load balancer
                // turned internal leaves its public subnets).
                (None, Some(ids))
                    if ids.len() == load_balancer.count
                        && ids.iter().all(|id| fits(scheme, self.reach(id)))
                        && self.check_load_balancer(scheme, ids, &task_ids, "").is_ok() =>
                {
                    ids.clone()
                }
                _ => self.choose_load_balancer(scheme, &task_ids)?,
            },
        };
        Ok(Network {
            vpc: self.vpc.clone(),
            tasks: task_ids,
            public_ip,
            load_balancer: lb_ids,
        })
    }

    /// A subnet's own route table decides, or else the VPC's main table.
    fn reach(&self, subnet: &str) -> Reach {
        let table = self
            .tables
            .iter()
            .find(|t| t.subnets.iter().any(|s| s == subnet))
            .or_else(|| self.tables.iter().find(|t| t.main));
        match table {
            Some(t) if t.internet => Reach::Public,
            Some(t) if t.nat => Reach::Nat,
            _ => Reach::Isolated,
        }
    }

    fn zone_of(&self, id: &str) -> Option<&str> {
        self.subnets
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.zone.as_str())
    }

    /// Subnets of this reach, by zone, the zone's default subnet first.
    fn by_zone(&self, wanted: impl Fn(Reach) -> bool) -> BTreeMap<&str, Vec<&Subnet>> {
        let mut zones: BTreeMap<&str, Vec<&Subnet>> = BTreeMap::new();
        for s in self.subnets.iter().filter(|s| wanted(self.reach(&s.id))) {
            zones.entry(&s.zone).or_default().push(s);
        }
        for list in zones.values_mut() {
            list.sort_by_key(|s| (!s.default_for_zone, s.id.clone()));
        }
        zones
    }

    /// What tasks in subnets without a route out would lack: VPC endpoints,
    /// and images that only the internet serves.
    fn isolated_gaps(&self, needs: &NetworkNeeds) -> Vec<String> {
        let mut gaps: Vec<String> = needs
            .endpoints
            .iter()
            .filter(|e| {
                !self
                    .endpoints
                    .iter()
                    .any(|name| name.ends_with(&format!(".{e}")))
            })
            .map(|e| format!("a VPC endpoint for {e}"))
            .collect();
        if !needs.outside_ecr.is_empty() {
            gaps.push(format!(
                "a way to the images outside ECR ({})",
                needs.outside_ecr.join(", ")
            ));
        }
        gaps
    }

    /// Named subnets must lie in this VPC, in distinct zones (EFS mount
    /// targets and load balancers take one subnet per zone).
    fn check_zones(&self, ids: &[String], label: &str) -> Result<(), String> {
        let mut zones: BTreeMap<&str, &str> = BTreeMap::new();
        for id in ids {
            let Some(zone) = self.zone_of(id) else {
                return Err(format!(
                    "{label}: subnet {id} is not in VPC {} (or does not exist)",
                    self.vpc
                ));
            };
            if let Some(other) = zones.insert(zone, id) {
                return Err(format!(
                    "{label}: {other} and {id} are both in {zone}; list one subnet per availability zone"
                ));
            }
        }
        Ok(())
    }

    /// Given task subnets fit when tasks get out of them: all public (and
    /// every task may have a public IP), or all private with a NAT route or
    /// the endpoints. Returns whether they are public.
    fn check_tasks(
        &self,
        needs: &NetworkNeeds,
        ids: &[String],
        label: &str,
    ) -> Result<bool, String> {
        self.check_zones(ids, label)?;
        let reaches: Vec<Reach> = ids.iter().map(|id| self.reach(id)).collect();
        let public = reaches.iter().filter(|r| **r == Reach::Public).count();
        if public == ids.len() {
            if !needs.private_services.is_empty() {
                return Err(format!(
                    "{label}: {} are public subnets, and the tasks of {} get no public IP (EC2, or x-aws-assign_public_ip: false): they could not pull images. List private subnets with a route to a NAT gateway",
                    ids.join(", "),
                    needs.private_services.join(", ")
                ));
            }
            return Ok(true);
        }
        if public > 0 {
            return Err(format!(
                "{label}: {} mixes public and private subnets; tasks get one public IP setting, so list subnets of one kind",
                ids.join(", ")
            ));
        }
        if reaches.contains(&Reach::Isolated) {
            let gaps = self.isolated_gaps(needs);
            if !gaps.is_empty() {
                return Err(format!(
                    "{label}: {} have no route to a NAT gateway, and the tasks would lack {}. {}",
                    ids.join(", "),
                    gaps.join(", "),
                    ROUTE_OUT_FIX
                ));
            }
        }
        Ok(false)
    }

    /// Private subnets with a NAT route when the VPC has them in enough
    /// zones (in zones with public subnets first, for the load balancer);
    /// else public subnets if every task may have a public IP; else private
    /// subnets that VPC endpoints serve.
    fn choose_tasks(
        &self,
        needs: &NetworkNeeds,
        count: usize,
    ) -> Result<(Vec<String>, bool), String> {
        let nat = self.by_zone(|r| r == Reach::Nat);
        let public = self.by_zone(|r| r == Reach::Public);
        if nat.len() >= count {
            let facing = needs.load_balancer == Some(Scheme::InternetFacing);
            let mut zones: Vec<&str> = nat.keys().copied().collect();
            zones.sort_by_key(|z| (facing && !public.contains_key(z), *z));
            let ids = zones.iter().take(count).map(|z| nat[z][0].id.clone());
            return Ok((ids.collect(), false));
        }
        if needs.private_services.is_empty() && public.len() >= count {
            return Ok((first_of_zones(&public, count), true));
        }
        let isolated = self.by_zone(|r| r == Reach::Isolated);
        let gaps = self.isolated_gaps(needs);
        if isolated.len() >= count && gaps.is_empty() {
            return Ok((first_of_zones(&isolated, count), false));
        }
        let mut why = vec![format!(
            "it has private subnets with a route to a NAT gateway in {} of the {count} availability zones needed",
            nat.len()
        )];
        if needs.private_services.is_empty() {
            why.push(format!("public subnets in {}", public.len()));
        } else {
            why.push(format!(
                "the tasks of {} get no public IP (EC2, or x-aws-assign_public_ip: false), so public subnets will not do",
                needs.private_services.join(", ")
            ));
        }
        if isolated.len() >= count {
            why.push(format!(
                "its subnets without a route out lack {}",
                gaps.join(", ")
            ));
        }
        Err(format!(
            "The tasks have no way out of VPC {} to pull images and write logs: {}. {ROUTE_OUT_FIX}",
            self.vpc,
            why.join("; ")
        ))
    }

    /// Given load balancer subnets: in this VPC, public for an
    /// internet-facing load balancer, covering every zone of the tasks (a
    /// load balancer sends nothing to targets in zones it is not in).
    fn check_load_balancer(
        &self,
        scheme: Scheme,
        ids: &[String],
        tasks: &[String],
        label: &str,
    ) -> Result<(), String> {
        self.check_zones(ids, label)?;
        if scheme == Scheme::InternetFacing
            && let Some(id) = ids.iter().find(|id| self.reach(id) != Reach::Public)
        {
            return Err(format!(
                "{label}: {id} has no route to an internet gateway, and an internet-facing load balancer needs public subnets: list public ones, or set x-aws-loadbalancer_scheme: internal"
            ));
        }
        let zones: Vec<&str> = ids.iter().filter_map(|id| self.zone_of(id)).collect();
        for t in tasks {
            if let Some(zone) = self.zone_of(t).filter(|z| !zones.contains(z)) {
                return Err(format!(
                    "{label}: no subnet in {zone}, where tasks run ({t}): the load balancer would send them no traffic. Add a subnet of {zone}"
                ));
            }
        }
        Ok(())
    }

    /// One subnet per zone of the tasks: public for an internet-facing load
    /// balancer, private for an internal one (the task subnet itself first).
    fn choose_load_balancer(
        &self,
        scheme: Scheme,
        tasks: &[String],
    ) -> Result<Vec<String>, String> {
        let fits = |r: Reach| fits(scheme, r);
        let zones = self.by_zone(fits);
        let mut chosen = Vec::new();
        for t in tasks {
            let zone = self.zone_of(t).unwrap_or_default();
            if fits(self.reach(t)) {
                chosen.push(t.clone());
                continue;
            }
            let Some(list) = zones.get(zone) else {
                let kind = match scheme {
                    Scheme::InternetFacing => "public subnet (a route to an internet gateway)",
                    Scheme::Internal => "private subnet",
                };
                return Err(format!(
                    "VPC {} has no {kind} in {zone}, where tasks run, for the {} load balancer: add one, or list the load balancer's subnets with x-aws-loadbalancer_subnets",
                    self.vpc,
                    scheme.as_str()
                ));
            };
            chosen.push(list[0].id.clone());
        }
        Ok(chosen)
    }
}

const ROUTE_OUT_FIX: &str = "Add a NAT gateway and route the private subnets' 0.0.0.0/0 to it, or add VPC endpoints for ECR (ecr.api, ecr.dkr and the S3 gateway), CloudWatch Logs and Secrets Manager (with every image in ECR, the init containers' through x-aws-init_image); or list the tasks' subnets with x-aws-subnets";

/// The subnets `up` picks for a load balancer: public for an
/// internet-facing one, private for an internal one.
fn fits(scheme: Scheme, reach: Reach) -> bool {
    match scheme {
        Scheme::InternetFacing => reach == Reach::Public,
        Scheme::Internal => reach != Reach::Public,
    }
}

/// The first subnet of each of the first `count` zones.
fn first_of_zones(zones: &BTreeMap<&str, Vec<&Subnet>>, count: usize) -> Vec<String> {
    zones
        .values()
        .take(count)
        .map(|l| l[0].id.clone())
        .collect()
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

    fn table(main: bool, subnets: &[&str], internet: bool, nat: bool) -> RouteTable {
        RouteTable {
            main,
            subnets: subnets.iter().map(|s| s.to_string()).collect(),
            internet,
            nat,
        }
    }

    /// Public subnets in zones a, b, c (the main table has the internet
    /// gateway), private ones behind a NAT gateway in c and b, and
    /// isolated ones in a and b.
    fn vpc() -> VpcView {
        VpcView {
            vpc: "vpc-1".into(),
            subnets: vec![
                subnet("subnet-pub-b", "b", false),
                subnet("subnet-pub-a2", "a", false),
                subnet("subnet-pub-a", "a", true),
                subnet("subnet-pub-c", "c", true),
                subnet("subnet-nat-c", "c", false),
                subnet("subnet-nat-b", "b", false),
                subnet("subnet-iso-a", "a", false),
                subnet("subnet-iso-b", "b", false),
            ],
            tables: vec![
                table(true, &[], true, false),
                table(false, &["subnet-nat-b", "subnet-nat-c"], false, true),
                table(false, &["subnet-iso-a", "subnet-iso-b"], false, false),
            ],
            endpoints: vec![],
        }
    }

    fn needs(private: &[&str], lb: Option<Scheme>) -> NetworkNeeds {
        NetworkNeeds {
            private_services: private.iter().map(|s| s.to_string()).collect(),
            load_balancer: lb,
            endpoints: vec!["ecr.api", "ecr.dkr", "logs", "s3"],
            outside_ecr: vec![],
        }
    }

    fn chosen(count: usize) -> Given {
        Given {
            count,
            ..Given::default()
        }
    }

    fn named(ids: &[&str]) -> Given {
        Given {
            named: Some(ids.iter().map(|s| s.to_string()).collect()),
            count: ids.len(),
            ..Given::default()
        }
    }

    #[test]
    fn tasks_go_behind_the_nat_and_an_internet_facing_load_balancer_in_public_subnets_of_their_zones()
     {
        let net = vpc()
            .place(
                &needs(&[], Some(Scheme::InternetFacing)),
                &chosen(2),
                &chosen(2),
            )
            .unwrap();
        assert_eq!(net.tasks, ["subnet-nat-b", "subnet-nat-c"]);
        assert!(!net.public_ip);
        assert_eq!(net.load_balancer, ["subnet-pub-b", "subnet-pub-c"]);
    }

    #[test]
    fn without_a_nat_gateway_tasks_take_public_subnets_and_a_public_ip() {
        let mut view = vpc();
        view.tables.truncate(1);
        view.subnets.retain(|s| s.id.starts_with("subnet-pub"));
        let net = view
            .place(
                &needs(&[], Some(Scheme::InternetFacing)),
                &chosen(2),
                &chosen(2),
            )
            .unwrap();
        // The zone's default subnet first.
        assert_eq!(net.tasks, ["subnet-pub-a", "subnet-pub-b"]);
        assert!(net.public_ip);
        assert_eq!(net.load_balancer, net.tasks);
        // Tasks that may have no public IP have no way out there.
        let err = view
            .place(&needs(&["gpu"], None), &chosen(2), &chosen(0))
            .unwrap_err();
        for part in [
            "no way out of VPC vpc-1",
            "gpu get no public IP",
            "NAT gateway",
            "VPC endpoints for ECR",
        ] {
            assert!(err.contains(part), "{part} not in {err}");
        }
    }

    #[test]
    fn an_internal_load_balancer_sits_in_the_tasks_private_subnets() {
        let net = vpc()
            .place(&needs(&[], Some(Scheme::Internal)), &chosen(2), &chosen(2))
            .unwrap();
        assert_eq!(net.load_balancer, net.tasks);
        // Public tasks: it takes a private subnet of each of their zones.
        let net = vpc()
            .place(
                &needs(&[], Some(Scheme::Internal)),
                &named(&["subnet-pub-a", "subnet-pub-b"]),
                &chosen(2),
            )
            .unwrap();
        assert_eq!(net.load_balancer, ["subnet-iso-a", "subnet-iso-b"]);
        let net = vpc()
            .place(
                &needs(&[], Some(Scheme::Internal)),
                &named(&["subnet-pub-a", "subnet-pub-c"]),
                &chosen(2),
            )
            .unwrap();
        assert_eq!(net.load_balancer, ["subnet-iso-a", "subnet-nat-c"]);
        // A zone with no private subnet has no place for it.
        let mut view = vpc();
        view.subnets.retain(|s| s.id != "subnet-nat-c");
        let err = view
            .place(
                &needs(&[], Some(Scheme::Internal)),
                &named(&["subnet-pub-a", "subnet-pub-c"]),
                &chosen(2),
            )
            .unwrap_err();
        assert!(err.contains("no private subnet in c"), "{err}");
    }

    #[test]
    fn subnets_without_a_route_out_serve_only_with_every_endpoint_and_ecr_images() {
        let mut view = vpc();
        view.tables.truncate(1);
        view.tables.push(table(
            false,
            &["subnet-iso-a", "subnet-iso-b"],
            false,
            false,
        ));
        view.subnets.retain(|s| s.id.starts_with("subnet-iso"));
        let err = view
            .place(&needs(&["worker"], None), &chosen(2), &chosen(0))
            .unwrap_err();
        assert!(err.contains("a VPC endpoint for ecr.api"), "{err}");
        assert!(err.contains("a VPC endpoint for s3"), "{err}");
        view.endpoints = ["ecr.api", "ecr.dkr", "logs", "s3"]
            .iter()
            .map(|e| format!("com.amazonaws.us-east-1.{e}"))
            .collect();
        let net = view
            .place(&needs(&["worker"], None), &chosen(2), &chosen(0))
            .unwrap();
        assert_eq!(net.tasks, ["subnet-iso-a", "subnet-iso-b"]);
        assert!(!net.public_ip);
        // An image from Docker Hub needs the internet all the same.
        let mut hub = needs(&["worker"], None);
        hub.outside_ecr = vec!["nginx:1.27".into()];
        let err = view.place(&hub, &chosen(2), &chosen(0)).unwrap_err();
        assert!(err.contains("images outside ECR (nginx:1.27)"), "{err}");
    }

    #[test]
    fn named_subnets_must_fit_the_tasks_and_the_load_balancer() {
        let view = vpc();
        let facing = needs(&[], Some(Scheme::InternetFacing));
        let cases: [(&[&str], &[&str], NetworkNeeds, &str); 6] = [
            (
                &["subnet-pub-a", "subnet-nat-b"],
                &[],
                facing.clone(),
                "mixes public and private",
            ),
            (
                &["subnet-pub-a", "subnet-pub-b"],
                &[],
                needs(&["gpu"], None),
                "gpu get no public IP",
            ),
            (
                &["subnet-pub-a", "subnet-pub-a2"],
                &[],
                facing.clone(),
                "both in a",
            ),
            (
                &["subnet-pub-a", "subnet-x"],
                &[],
                facing.clone(),
                "subnet-x is not in VPC vpc-1",
            ),
            (
                &["subnet-nat-b", "subnet-nat-c"],
                &["subnet-nat-b", "subnet-pub-c"],
                facing.clone(),
                "subnet-nat-b has no route to an internet gateway",
            ),
            (
                &["subnet-nat-b", "subnet-nat-c"],
                &["subnet-pub-a", "subnet-pub-b"],
                facing.clone(),
                "no subnet in c, where tasks run",
            ),
        ];
        for (tasks, lb, needs, expected) in cases {
            let lb = if lb.is_empty() { chosen(2) } else { named(lb) };
            let err = view.place(&needs, &named(tasks), &lb).unwrap_err();
            assert!(err.contains(expected), "{expected} not in {err}");
        }
    }

    #[test]
    fn a_load_balancer_turned_internal_leaves_its_public_subnets() {
        let deployed = Given {
            deployed: Some(vec!["subnet-pub-b".into(), "subnet-pub-c".into()]),
            count: 2,
            ..Given::default()
        };
        let net = vpc()
            .place(&needs(&[], Some(Scheme::Internal)), &chosen(2), &deployed)
            .unwrap();
        assert_eq!(net.load_balancer, net.tasks);
        let net = vpc()
            .place(
                &needs(&[], Some(Scheme::InternetFacing)),
                &chosen(2),
                &deployed,
            )
            .unwrap();
        assert_eq!(net.load_balancer, ["subnet-pub-b", "subnet-pub-c"]);
    }

    #[test]
    fn deployed_subnets_stay_while_they_fit() {
        let view = vpc();
        let kept = Given {
            deployed: Some(vec!["subnet-pub-a".into(), "subnet-pub-c".into()]),
            count: 2,
            ..Given::default()
        };
        let net = view.place(&needs(&[], None), &kept, &chosen(0)).unwrap();
        assert_eq!(net.tasks, ["subnet-pub-a", "subnet-pub-c"]);
        assert!(net.public_ip);
        // A service that now runs on EC2 moves the tasks behind the NAT.
        let net = view
            .place(&needs(&["gpu"], None), &kept, &chosen(0))
            .unwrap();
        assert_eq!(net.tasks, ["subnet-nat-b", "subnet-nat-c"]);
    }
}
