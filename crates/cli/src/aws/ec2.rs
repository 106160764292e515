//! The EC2 reads `up` needs (default VPC, subnets, route tables, endpoints),
//! without aws-sdk-ec2: that crate alone would triple the build time.
//!
//! Requests are signed by the SDK's own SigV4 signer (`aws-sigv4`) with the
//! session's credentials, sent over the SDK's HTTP stack (hyper + rustls),
//! and the XML answers are read with quick-xml.

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, SystemTime};

const API_VERSION: &str = "2016-11-15";

type HttpsClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

pub struct Ec2 {
    endpoint: String,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    /// Built once: loading the system's TLS roots is not free.
    client: Result<HttpsClient, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub zone: String,
    pub default_for_zone: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    pub main: bool,
    pub subnets: Vec<String>,
    /// Has a default route to an internet gateway.
    pub internet: bool,
    /// Has a default route to a NAT gateway: a private subnet with a way out.
    pub nat: bool,
}

impl Ec2 {
    pub fn new(config: &SdkConfig, region: &str) -> Ec2 {
        let endpoint = std::env::var("AWS_ENDPOINT_URL_EC2")
            .ok()
            .or_else(|| config.endpoint_url().map(str::to_string))
            .unwrap_or_else(|| {
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://ec2.{region}.{suffix}")
            });
        let client = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map(|b| {
                let https = b.https_or_http().enable_http1().build();
                Client::builder(TokioExecutor::new()).build(https)
            })
            .map_err(|e| format!("cannot load the system's TLS roots: {e}"));
        Ec2 {
            endpoint: endpoint.trim_end_matches('/').to_string() + "/",
            region: region.to_string(),
            credentials: config.credentials_provider(),
            client,
        }
    }

    /// The region's default VPC, if it has one.
    pub async fn default_vpc(&self) -> Result<Option<String>, String> {
        let xml = self
            .call(
                "DescribeVpcs",
                &[("Filter.1.Name", "isDefault"), ("Filter.1.Value.1", "true")],
            )
            .await?;
        Ok(xml
            .all("vpcSet")
            .flat_map(|s| s.all("item"))
            .find_map(|v| v.text("vpcId")))
    }

    /// Whether a VPC with this ID exists.
    pub async fn vpc_exists(&self, id: &str) -> Result<bool, String> {
        match self.call("DescribeVpcs", &[("VpcId.1", id)]).await {
            Ok(xml) => Ok(xml.all("vpcSet").flat_map(|s| s.all("item")).count() > 0),
            Err(e) if e.contains("InvalidVpcID.NotFound") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every subnet of a VPC, all pages.
    pub async fn subnets(&self, vpc: &str) -> Result<Vec<Subnet>, String> {
        self.paged(
            "DescribeSubnets",
            &[("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)],
            "subnetSet",
            |item| {
                Some(Subnet {
                    id: item.text("subnetId")?,
                    zone: item.text("availabilityZone").unwrap_or_default(),
                    default_for_zone: item.text("defaultForAz").as_deref() == Some("true"),
                })
            },
        )
        .await
    }

    /// The service names of a VPC's usable endpoints
    /// (`com.amazonaws.<region>.ecr.api`, …), all pages.
    pub async fn vpc_endpoints(&self, vpc: &str) -> Result<Vec<String>, String> {
        self.paged(
            "DescribeVpcEndpoints",
            &[("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)],
            "vpcEndpointSet",
            |item| {
                let state = item.text("state").unwrap_or_default().to_ascii_lowercase();
                let usable = !matches!(
                    state.as_str(),
                    "deleting" | "deleted" | "failed" | "rejected" | "expired"
                );
                usable.then(|| item.text("serviceName")).flatten()
            },
        )
        .await
    }

    /// The route tables of a VPC, all pages.
    pub async fn route_tables(&self, vpc: &str) -> Result<Vec<RouteTable>, String> {
        self.paged(
            "DescribeRouteTables",
            &[("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)],
            "routeTableSet",
            |item| {
                let mut table = RouteTable::default();
                for a in item.all("associationSet").flat_map(|s| s.all("item")) {
                    if a.text("main").as_deref() == Some("true") {
                        table.main = true;
                    }
                    if let Some(s) = a.text("subnetId") {
                        table.subnets.push(s);
                    }
                }
                let default_routes: Vec<&Element> = item
                    .all("routeSet")
                    .flat_map(|s| s.all("item"))
                    .filter(|r| r.text("destinationCidrBlock").as_deref() == Some("0.0.0.0/0"))
                    .collect();
                table.internet = default_routes
                    .iter()
                    .any(|r| r.text("gatewayId").is_some_and(|g| g.starts_with("igw-")));
                table.nat = default_routes.iter().any(|r| {
                    r.text("natGatewayId")
                        .is_some_and(|g| g.starts_with("nat-"))
                });
                Some(table)
            },
        )
        .await
    }

    /// Follow `NextToken` until the last page.
    async fn paged<T>(
        &self,
        action: &str,
        params: &[(&str, &str)],
        set: &str,
        item: impl Fn(&Element) -> Option<T>,
    ) -> Result<Vec<T>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut p: Vec<(&str, &str)> = params.to_vec();
            if let Some(t) = &token {
                p.push(("NextToken", t));
            }
            let xml = self.call(action, &p).await?;
            out.extend(xml.all(set).flat_map(|s| s.all("item")).filter_map(&item));
            match xml.text("nextToken") {
                Some(next) if !next.is_empty() && Some(&next) != token.as_ref() => {
                    token = Some(next)
                }
                _ => return Ok(out),
            }
        }
    }

    /// One signed Query API call, retried on throttling and 5xx like the SDK.
    async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<Element, String> {
        let mut body = form_urlencoded(&[("Action", action), ("Version", API_VERSION)]);
        body.push('&');
        body.push_str(&form_urlencoded(params));
        let mut delay = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            let sent = self.send(&body).await;
            if super::debug::enabled() {
                log_attempt(action, &self.region, attempt, &sent);
            }
            match sent {
                Ok((status, text)) if status < 300 => return parse(&text),
                Ok((status, text)) => {
                    let code = parse(&text)
                        .ok()
                        .and_then(|x| x.text("Code"))
                        .unwrap_or_default();
                    let retryable = status >= 500
                        || code == "RequestLimitExceeded"
                        || code.starts_with("Throttling");
                    if !retryable || attempt >= 8 {
                        let msg = parse(&text)
                            .ok()
                            .and_then(|x| x.text("Message"))
                            .unwrap_or_else(|| format!("HTTP {status}"));
                        return Err(if code.is_empty() {
                            format!("ec2:{action}: {msg}")
                        } else {
                            format!("ec2:{action}: {code}: {msg}")
                        });
                    }
                }
                Err(e) if attempt >= 8 => return Err(format!("ec2:{action}: {e}")),
                Err(_) => {}
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(20));
            attempt += 1;
        }
    }

    async fn send(&self, body: &str) -> Result<(u16, String), String> {
        let provider = self
            .credentials
            .as_ref()
            .ok_or("no AWS credentials are configured")?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| format!("no AWS credentials: {e}"))?;
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("ec2")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let headers = [("content-type", content_type)];
        let signable = SignableRequest::new(
            "POST",
            &self.endpoint,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&self.endpoint)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        instructions.apply_to_request_http1x(&mut request);

        let client = self.client.as_ref().map_err(Clone::clone)?;
        let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
            .await
            .map_err(|_| "the AWS endpoint did not answer in time".to_string())?
            .map_err(|e| format!("cannot reach {}: {e}", self.endpoint))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// The `--debug` line of one EC2 attempt; the request ID is in the XML.
fn log_attempt(action: &str, region: &str, attempt: u32, sent: &Result<(u16, String), String>) {
    let outcome = match sent {
        Ok((status, text)) => {
            let id = parse(text)
                .ok()
                .and_then(|x| x.text("requestId").or_else(|| x.text("RequestID")))
                .unwrap_or_else(|| "none".into());
            format!("status={status} request-id={id}")
        }
        Err(_) => "no response".to_string(),
    };
    super::debug::line(&format!(
        "ec2.{action} region={region} attempt={attempt} {outcome}"
    ));
}

fn form_urlencoded(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Just enough of an XML tree for EC2's answers: element names, text and
/// children; namespaces and attributes are ignored.
#[derive(Debug, Default)]
pub struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    /// Descendants named `name`, not looking inside a match.
    fn all<'a>(&'a self, name: &'a str) -> Box<dyn Iterator<Item = &'a Element> + 'a> {
        Box::new(self.children.iter().flat_map(move |c| {
            if c.name == name {
                Box::new(std::iter::once(c)) as Box<dyn Iterator<Item = &Element>>
            } else {
                c.all(name)
            }
        }))
    }

    /// The text of the first descendant named `name`.
    fn text(&self, name: &str) -> Option<String> {
        self.all(name).next().map(|e| e.text.trim().to_string())
    }
}

fn parse(xml: &str) -> Result<Element, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => stack.push(Element {
                name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                ..Default::default()
            }),
            Ok(Event::Empty(e)) => {
                let el = Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Default::default()
                };
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text
                        .push_str(&t.decode().map_err(|e| format!("bad EC2 answer: {e}"))?);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(top) = stack.last_mut() {
                    let name = String::from_utf8_lossy(&r);
                    top.text.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Ok(Event::End(_)) => {
                let done = stack.pop().unwrap_or_default();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Err("bad EC2 answer: unbalanced XML".into()),
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("bad EC2 answer: {e}")),
        }
    }
    stack
        .pop()
        .filter(|_| stack.is_empty())
        .ok_or_else(|| "bad EC2 answer: unbalanced XML".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_items_and_tokens() {
        let xml = r#"<?xml version="1.0"?>
<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <subnetSet>
    <item><subnetId>subnet-1</subnetId><availabilityZone>us-east-1a</availabilityZone><defaultForAz>true</defaultForAz>
      <tagSet><item><key>a&amp;b</key></item></tagSet></item>
    <item><subnetId>subnet-2</subnetId><availabilityZone>us-east-1b</availabilityZone></item>
  </subnetSet>
  <nextToken>abc</nextToken>
</DescribeSubnetsResponse>"#;
        let root = parse(xml).unwrap();
        let ids: Vec<String> = root
            .all("subnetSet")
            .flat_map(|s| s.all("item"))
            .filter_map(|i| i.text("subnetId"))
            .collect();
        assert_eq!(ids, ["subnet-1", "subnet-2"]);
        assert_eq!(root.text("nextToken").as_deref(), Some("abc"));
        assert_eq!(root.text("key").as_deref(), Some("a&b"));
    }

    #[test]
    fn rejects_broken_xml() {
        assert!(parse("<a><b></a>").is_err());
    }

    #[test]
    fn encodes_like_the_query_protocol() {
        assert_eq!(
            form_urlencoded(&[("Filter.1.Name", "vpc-id"), ("X", "a b/c")]),
            "Filter.1.Name=vpc-id&X=a%20b%2Fc"
        );
    }
}
