//! Parsers for Compose's string short syntaxes: ports, volumes, devices,
//! durations and byte sizes.

/// One parsed port mapping of the short syntax (`[ip:][host:]container[/proto]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub host_ip: String,
    pub published: String,
    pub target: u32,
    pub protocol: String,
}

fn parse_port_range(s: &str) -> Result<(u32, u32), ()> {
    let parse = |p: &str| p.parse::<u16>().map(u32::from).map_err(|_| ());
    match s.split_once('-') {
        None => {
            let p = parse(s)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let (a, b) = (parse(a)?, parse(b)?);
            if b < a { Err(()) } else { Ok((a, b)) }
        }
    }
}

/// Parse a port short syntax the way Docker does (`nat.ParsePortSpecs`):
/// ranges expand to one entry per port, a single container port with a host
/// range keeps the range as the published value, and entries come out sorted
/// by their `port/proto` text.
pub fn parse_port(raw: &str) -> Result<Vec<PortSpec>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1];
    let (mut ip, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        3 => (parts[0].to_string(), parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };
    let (proto, container) = match container.split_once('/') {
        _ if container.is_empty() => ("", ""),
        None => ("tcp", container),
        Some((p, "")) => ("tcp", p),
        Some((p, proto)) => (proto, p),
    };
    if ip.starts_with('[') {
        ip = ip
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| format!("invalid IP address: {ip}"))?
            .to_string();
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let (start, end) =
        parse_port_range(container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let (hstart, hend) = if host.is_empty() {
        (0, 0)
    } else {
        parse_port_range(host).map_err(|_| format!("invalid hostPort: {host}"))?
    };
    if !host.is_empty() && (end - start) != (hend - hstart) && end != start {
        return Err(format!(
            "invalid ranges specified for container and host Ports: {container} and {host}"
        ));
    }
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let mut out = Vec::new();
    for i in 0..=(end - start) {
        let mut published = if host.is_empty() {
            String::new()
        } else {
            (hstart + i).to_string()
        };
        if start == end && hstart != hend {
            published = format!("{published}-{hend}");
        }
        out.push(PortSpec {
            host_ip: ip.clone(),
            published,
            target: start + i,
            protocol: proto.clone(),
        });
    }
    // Docker keys the result by "port/proto" text and Compose sorts those keys.
    out.sort_by_key(|p| format!("{}/{}", p.target, p.protocol));
    Ok(out)
}

/// A parsed volume short syntax (`[source:]target[:options]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeSpec {
    pub kind: &'static str,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    pub nocopy: bool,
    pub selinux: String,
    pub propagation: String,
}

fn is_windows_drive(buffer: &[char], c: char) -> bool {
    c == ':' && buffer.len() == 1 && buffer[0].is_alphabetic()
}

pub fn is_file_path(source: &str) -> bool {
    let mut chars = source.chars();
    match chars.next() {
        None => false,
        Some('.' | '/' | '~') => true,
        Some(first) => {
            source.starts_with("\\\\")
                || chars.next().is_some_and(|c| is_windows_drive(&[first], c))
        }
    }
}

/// Parse a volume short syntax the way Compose does (`format.ParseVolume`),
/// including its Windows drive-letter rule (`c:/data` is one path).
pub fn parse_volume(spec: &str) -> Result<VolumeSpec, String> {
    let mut v = VolumeSpec::default();
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    if spec.chars().count() <= 2 {
        v.target = spec.to_string();
        v.kind = "volume";
        return Ok(v);
    }
    let mut buffer: Vec<char> = Vec::new();
    let mut depth = 0usize;
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while i <= chars.len() {
        let c = chars.get(i).copied();
        match c {
            Some('$') if chars.get(i + 1) == Some(&'{') => {
                depth += 1;
                buffer.push('$');
            }
            Some('}') if depth > 0 => {
                depth -= 1;
                buffer.push('}');
            }
            Some(ch) if is_windows_drive(&buffer, ch) => buffer.push(ch),
            Some(':') | None if depth == 0 => {
                let end = c.is_none();
                let text: String = buffer.iter().collect();
                if buffer.is_empty() {
                    return Err(format!(
                        "invalid spec: {spec}: empty section between colons"
                    ));
                } else if v.source.is_empty() && end {
                    v.target = text;
                } else if v.source.is_empty() {
                    v.source = text;
                } else if v.target.is_empty() {
                    v.target = text;
                } else if !end {
                    return Err(format!("invalid spec: {spec}: too many colons"));
                } else {
                    for option in text.split(',') {
                        match option {
                            "ro" => v.read_only = true,
                            "rw" => v.read_only = false,
                            "nocopy" => v.nocopy = true,
                            "z" | "Z" => v.selinux = option.to_string(),
                            "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                                v.propagation = option.to_string()
                            }
                            _ => {}
                        }
                    }
                }
                buffer.clear();
            }
            Some(ch) => buffer.push(ch),
            None => {}
        }
        i += 1;
    }
    v.kind = if is_file_path(&v.source) {
        "bind"
    } else {
        "volume"
    };
    Ok(v)
}

/// Lexically clean a Unix path like Go's `path.Clean`.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Parse a Go-style duration (`1m30s`, `500ms`, `1.5h`) into nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let orig = s;
    let err = |m: &str| format!("{m} in duration {orig:?}");
    let (neg, mut s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(format!("invalid duration {orig:?}"));
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        if num_end == 0 {
            return Err(format!("invalid duration {orig:?}"));
        }
        let number: f64 = s[..num_end]
            .parse()
            .map_err(|_| format!("invalid duration {orig:?}"))?;
        s = &s[num_end..];
        let unit_end = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let unit = &s[..unit_end];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(err("missing unit")),
            other => return Err(format!("unknown unit {other:?} in duration {orig:?}")),
        };
        total += number * scale;
        s = &s[unit_end..];
    }
    if total > i64::MAX as f64 {
        return Err(format!("invalid duration {orig:?}"));
    }
    let ns = total.round() as i64;
    Ok(if neg { -ns } else { ns })
}

/// Format nanoseconds as Go's `time.Duration.String()` does (`1m30s`, `500ms`).
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second: a single unit with a fraction.
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&format_fraction(u, div));
        out.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let rem = u % 3_600_000_000_000;
        let m = rem / 60_000_000_000;
        let rem = rem % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&format_fraction(rem, 1_000_000_000));
        out.push('s');
    }
    if neg { format!("-{out}") } else { out }
}

fn format_fraction(v: u64, div: u64) -> String {
    let whole = v / div;
    let frac = v % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Parse a byte size (`512m`, `1g`, `1024`, `1.5gb`) as Docker's `units.RAMInBytes`.
pub fn parse_bytes(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(num_end);
    let number: f64 = num.parse().map_err(|_| format!("invalid size: '{s}'"))?;
    let mult: f64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        "p" | "pb" | "pib" => 1024f64.powi(5),
        _ => return Err(format!("invalid suffix: '{suffix}'")),
    };
    Ok((number * mult) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        let p = parse_port("127.0.0.1:8080-8081:80-81/udp").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].published, "8080");
        assert_eq!(p[1].target, 81);
        assert_eq!(p[1].protocol, "udp");
        let p = parse_port("8000-8010:80").unwrap();
        assert_eq!(p[0].published, "8000-8010");
        let p = parse_port("[::1]:53:53/udp").unwrap();
        assert_eq!(p[0].host_ip, "::1");
        let p = parse_port("99-100").unwrap();
        assert_eq!(p[0].target, 100, "sorted as text, like Docker");
        assert!(parse_port("80/xyz").is_err());
        assert!(parse_port("70000").is_err());
        assert!(parse_port("1-3:1-2").is_err());
    }

    #[test]
    fn volumes() {
        let v = parse_volume("data:/data:ro").unwrap();
        assert_eq!(
            (v.kind, v.source.as_str(), v.target.as_str(), v.read_only),
            ("volume", "data", "/data", true)
        );
        let v = parse_volume("./src:/src:rw,z").unwrap();
        assert_eq!((v.kind, v.selinux.as_str()), ("bind", "z"));
        let v = parse_volume("c:/data").unwrap();
        assert_eq!((v.source.as_str(), v.target.as_str()), ("", "c:/data"));
        assert!(parse_volume("data:/x:ro:extra").is_err());
        assert!(parse_volume("data::/x").is_err());
        assert_eq!(parse_volume("/anon").unwrap().target, "/anon");
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(parse_duration("90s").unwrap()), "1m30s");
        assert_eq!(format_duration(parse_duration("1m").unwrap()), "1m0s");
        assert_eq!(format_duration(parse_duration("1h").unwrap()), "1h0m0s");
        assert_eq!(format_duration(parse_duration("500ms").unwrap()), "500ms");
        assert_eq!(format_duration(parse_duration("1.5s").unwrap()), "1.5s");
        assert_eq!(
            format_duration(parse_duration("2h3m4.5s").unwrap()),
            "2h3m4.5s"
        );
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("10").is_err());
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("512m").unwrap(), 536870912);
        assert_eq!(parse_bytes("1g").unwrap(), 1073741824);
        assert_eq!(parse_bytes("1024").unwrap(), 1024);
        assert_eq!(parse_bytes("1.5k").unwrap(), 1536);
        assert!(parse_bytes("5qb").is_err());
    }

    #[test]
    fn clean() {
        assert_eq!(clean_path("/a/b/../c/"), "/a/c");
        assert_eq!(clean_path("a/./b"), "a/b");
        assert_eq!(clean_path("/.."), "/");
    }
}
