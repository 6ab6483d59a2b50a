# shellcheck shell=bash
# Per-node Fabric configuration directories (FABRIC_CFG_PATH): a copy of Fabric's sample core.yaml or
# orderer.yaml with the PKCS#11 BCCSP section (and, for peers, the external builder) replaced. Everything
# else is set through environment overrides in the node's env file. The files hold a PIN: mode 600.

# Replaces the block that starts at the line equal to <header> (and runs while lines are blank, comments
# or indented deeper) with <block>. Fails if <header> is not found exactly once.
yaml_replace_block() { # <file> <header> <block>
  local file=$1 count
  count=$(grep -cxF -- "$2" "$file" || true)
  [ "$count" = 1 ] || die "expected one '$2' line in $file, found $count"
  # umask: the file holds a PIN, and this temporary copy replaces it.
  (umask 077 && HEADER=$2 BLOCK=$3 awk '
    function indent(s) { match(s, /^ */); return RLENGTH }
    !skipping && $0 == ENVIRON["HEADER"] { print ENVIRON["BLOCK"]; skipping = 1; depth = indent($0); next }
    skipping { if ($0 ~ /^[[:space:]]*(#.*)?$/ || indent($0) > depth) next; skipping = 0 }
    { print }
  ' "$file" >"$file.tmp")
  mv "$file.tmp" "$file"
}

# Writes <dir>/<core.yaml|orderer.yaml> from the sample with BCCSP on HSM token <label>.
write_fabric_config() { # <core.yaml|orderer.yaml> <dir> <token label>
  local name=$1 dir=$2 label=$3 file bccsp
  file="$dir/$name"
  bccsp=$(hsm_bccsp_yaml "$label")
  mkdir -p "$dir"
  (umask 077 && cp "$SAMPLE_CONFIG_DIR/$name" "$file.new")
  chmod 600 "$file.new"
  yaml_replace_block "$file.new" "  BCCSP:" "$bccsp"
  if [ "$name" = core.yaml ]; then
    yaml_replace_block "$file.new" "  externalBuilders:" "$(
      printf '  externalBuilders:\n    - name: ccaas\n      path: %s\n' "$NETWORK_DIR/builders/ccaas"
      # The ccaas release step reads the peer's chaincode client certificate and key from these.
      printf '      propagateEnvironment:\n' && printf '        - %s\n' KYC_CCAAS_CLIENT_CERT KYC_CCAAS_CLIENT_KEY
    )"
  fi
  mv "$file.new" "$file"
}
