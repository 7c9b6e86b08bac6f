#!/usr/bin/env bash
# Checks a `lucent audit export --format xml` document against the DICOM audit message schema
# (PS3.15 A.5.1; crates/lucent-audit/schema/):
#   1. the whole document against audit-export.xsd (root <AuditMessages>);
#   2. every <AuditMessage>, extracted as a document of its own, against dicom2024d.xsd, with
#      root AuditMessage and ParticipantObjectID on every ParticipantObjectIdentification.
# Usage: scripts/validate-audit-export.sh EXPORT.xml   Exit: 0 valid, 1 invalid, 2 cannot check.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
schema_dir=$here/crates/lucent-audit/schema
doc=${1:-}
[ -r "$doc" ] || { echo "usage: $0 EXPORT.xml" >&2; exit 2; }
command -v xmllint >/dev/null || { echo "xmllint not found (Debian package libxml2-utils)" >&2; exit 2; }

xmllint --noout --nonet --schema "$schema_dir/audit-export.xsd" "$doc" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=$(xmllint --xpath 'count(/AuditMessages/AuditMessage)' "$doc") || exit 2
status=0
for i in $(seq 1 "$count"); do
    message=$work/message-$i.xml
    { echo '<?xml version="1.0" encoding="UTF-8"?>'; xmllint --xpath "/AuditMessages/AuditMessage[$i]" "$doc"; } >"$message" || exit 2
    if ! xmllint --noout --nonet --schema "$schema_dir/dicom2024d.xsd" "$message" 2>"$work/err"; then
        echo "FAIL message $i: $(cat "$work/err")" >&2
        status=1
        continue
    fi
    missing=$(xmllint --xpath 'count(/AuditMessage/ParticipantObjectIdentification[not(@ParticipantObjectID)])' "$message")
    if [ "$missing" != "0" ]; then
        echo "FAIL message $i: ParticipantObjectIdentification without ParticipantObjectID" >&2
        status=1
    fi
done
[ "$status" = 0 ] && echo "OK $doc: $count AuditMessage(s), each valid against dicom2024d.xsd"
exit $status
