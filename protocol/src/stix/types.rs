//! The STIX 2.1 object catalogue: which types are Domain (SDO), Relationship (SRO),
//! Cyber-observable (SCO) or Meta (SMO) objects, and which properties each defines with a
//! fixed meaning that validation can rely on.

/// The four families of STIX 2.1 objects, plus types this implementation does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// STIX Domain Object (§4).
    Domain,
    /// STIX Relationship Object (§5).
    Relationship,
    /// STIX Cyber-observable Object (§6).
    Observable,
    /// STIX Meta Object (§7): marking-definition, language-content, extension-definition.
    Meta,
    /// A type not defined by STIX 2.1 (custom or extension-defined): only the common rules
    /// that apply to every object are checked, and the object is kept intact.
    Unknown,
}

const DOMAIN: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

const RELATIONSHIP: &[&str] = &["relationship", "sighting"];

const OBSERVABLE: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

const META: &[&str] = &[
    "marking-definition",
    "language-content",
    "extension-definition",
];

/// The category of a STIX type name.
pub fn category(object_type: &str) -> Category {
    if DOMAIN.contains(&object_type) {
        Category::Domain
    } else if RELATIONSHIP.contains(&object_type) {
        Category::Relationship
    } else if OBSERVABLE.contains(&object_type) {
        Category::Observable
    } else if META.contains(&object_type) {
        Category::Meta
    } else {
        Category::Unknown
    }
}

impl Category {
    /// Whether `spec_version` is required (SDOs, SROs and SMOs; optional on SCOs).
    pub fn requires_spec_version(self) -> bool {
        matches!(
            self,
            Category::Domain | Category::Relationship | Category::Meta
        )
    }

    /// Whether STIX defines the timestamp properties below for this family.
    pub fn is_known(self) -> bool {
        self != Category::Unknown
    }
}

/// Properties that hold a STIX timestamp wherever a known SDO, SRO or SMO defines them.
pub const TIMESTAMP_PROPERTIES: &[&str] = &[
    "created",
    "modified",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "first_observed",
    "last_observed",
    "published",
    "start_time",
    "stop_time",
    "object_modified",
    "submitted",
    "analysis_started",
    "analysis_ended",
];

/// Properties that are lists of strings (and so, per §2.8, never empty) on known SDOs/SROs.
pub const STRING_LIST_PROPERTIES: &[&str] = &[
    "labels",
    "aliases",
    "goals",
    "secondary_motivations",
    "personal_motivations",
    "roles",
    "sectors",
    "indicator_types",
    "infrastructure_types",
    "malware_types",
    "architecture_execution_envs",
    "implementation_languages",
    "capabilities",
    "report_types",
    "threat_actor_types",
    "tool_types",
    "authors",
    "extension_types",
    "extension_properties",
    "protocols",
];

/// Required properties (beyond the common ones) of known types, by type.
pub fn required_properties(object_type: &str) -> &'static [&'static str] {
    match object_type {
        "attack-pattern" | "campaign" | "course-of-action" | "identity" | "incident"
        | "infrastructure" | "intrusion-set" | "threat-actor" | "tool" | "vulnerability" => {
            &["name"]
        }
        "grouping" => &["context", "object_refs"],
        "indicator" => &["pattern", "pattern_type", "valid_from"],
        "malware" => &["is_family"],
        "malware-analysis" => &["product"],
        "note" => &["content", "object_refs"],
        "observed-data" => &["first_observed", "last_observed", "number_observed"],
        "opinion" => &["opinion", "object_refs"],
        "report" => &["name", "published", "object_refs"],
        "relationship" => &["relationship_type", "source_ref", "target_ref"],
        "sighting" => &["sighting_of_ref"],
        "language-content" => &["object_ref", "contents"],
        "extension-definition" => &[
            "created_by_ref",
            "name",
            "schema",
            "version",
            "extension_types",
        ],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url" => &["value"],
        "email-message" => &["is_multipart"],
        "mutex" | "software" => &["name"],
        "network-traffic" => &["protocols"],
        _ => &[],
    }
}

/// Properties of known types that must be strings.
pub const STRING_PROPERTIES: &[&str] = &[
    "name",
    "description",
    "pattern",
    "pattern_type",
    "pattern_version",
    "identity_class",
    "relationship_type",
    "context",
    "content",
    "abstract",
    "opinion",
    "product",
    "version",
    "schema",
    "value",
    "path",
    "region",
    "country",
    "result",
    "objective",
    "sophistication",
    "resource_level",
    "primary_motivation",
    "contact_information",
];

/// Properties of known types that must be booleans.
pub const BOOLEAN_PROPERTIES: &[&str] = &[
    "revoked",
    "defanged",
    "is_family",
    "summary",
    "is_multipart",
];
