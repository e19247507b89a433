# shellcheck shell=bash
# maildoc lab: test PKI, generated with the openssl CLI only.
#
# Sourced by lab.sh. Public entry point: lab_make_pki DIR
#
#   maildoc Lab Root CA ──> maildoc Lab Intermediate CA ──> most server leaves
#   Other Test CA          ──> unknownca leaf      (not in MAILDOC_LAB_CA)
#   Lab Security Scanner Root ──> imap/smtp.gmail.com leaf (simulated TLS interception)
#   selfsigned leaf signs itself.
#
# For every server certificate NAME the following files are written to DIR/certs:
#   NAME.key         private key (ECDSA P-256)
#   NAME.crt         the leaf alone
#   NAME.chain.pem   what the server sends: leaf + intermediate (leaf only where the
#                    scenario wants an incomplete chain or there is no intermediate)
#   NAME.postfix.pem key followed by the chain (for smtpd_tls_chain_files)
#
# All leaves are issued with `openssl ca`, which (unlike `openssl x509` in
# OpenSSL 3.0) accepts arbitrary -startdate/-enddate, so expired and
# not-yet-valid certificates need no clock tricks. Everything is regenerated on
# each start because all dates are relative to "now".

# _ts OFFSET -> ASN.1 GeneralizedTime for now+OFFSET (e.g. "-30 days").
_ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# _newkey FILE: ECDSA P-256 key, fast to generate.
_newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null
    chmod 600 "$1"
}

# _write_ca_conf DIR: the minimal `openssl ca` configuration plus the
# extension sections used for every certificate.
_write_ca_conf() {
    local d=$1
    cat > "$d/ca.cnf" <<CNF
# maildoc lab: minimal openssl ca configuration (generated)
# The subject attributes of mark certificates (the BIMI group's OIDs).
oid_section = lab_oids

[ lab_oids ]
markType                     = 1.3.6.1.4.1.53087.1.13
trademarkCountryOrRegionName = 1.3.6.1.4.1.53087.1.3
trademarkIdentifier          = 1.3.6.1.4.1.53087.1.4

[ ca ]
default_ca = lab_ca

[ lab_ca ]
dir              = $d
new_certs_dir    = $d/newcerts
database         = $d/index.txt
serial           = $d/serial
default_md       = sha256
policy           = lab_policy
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
# certificate and private_key are given on the command line (-cert/-keyfile).

[ lab_policy ]
commonName             = supplied
organizationName       = optional
organizationalUnitName = optional
countryName            = optional

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ v3_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = \${ENV::LAB_SAN}

[ v3_leaf_aia ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = \${ENV::LAB_SAN}
authorityInfoAccess    = caIssuers;URI:http://aia.lab.example/intermediate.der

# A mark certificate (BIMI VMC) for the lab: its logo (LAB_LOGOTYPE, a data: URL) in the
# logotype extension (RFC 3709; here a bare IA5String, enough for readers that look for the
# data: URL) and the BIMI extended key usage.
[ v3_vmc ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = 1.3.6.1.5.5.7.3.31
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = \${ENV::LAB_SAN}
1.3.6.1.5.5.7.1.12     = ASN1:IA5STRING:\${ENV::LAB_LOGOTYPE}

[ v3_selfsigned_leaf ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyCertSign
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
subjectAltName         = \${ENV::LAB_SAN}
CNF
    : > "$d/index.txt"
    echo 1000 > "$d/serial"
    mkdir -p "$d/newcerts"
}

# _sign CADIR ISSUER_CRT ISSUER_KEY SUBJECT_CN KEY OUT EXT START END [SAN] [-selfsign]
# Issues OUT for KEY with `openssl ca`. START/END are date offsets for `date -d`.
_sign() {
    local cadir=$1 icrt=$2 ikey=$3 cn=$4 key=$5 out=$6 ext=$7 start=$8 end=$9
    local san=${10:-DNS:placeholder.invalid} selfsign=${11:-}
    local csr="$out.csr"
    # openssl reads every section of the config, so v3_vmc's LAB_LOGOTYPE needs a value.
    local logotype=${LAB_LOGOTYPE:-unused}
    # LAB_SUBJECT replaces the usual subject (mark certificates carry many more fields).
    local subject=${LAB_SUBJECT:-/O=maildoc lab/CN=$cn}
    LAB_SAN=$san LAB_LOGOTYPE=$logotype openssl req -new -config "$cadir/ca.cnf" -key "$key" \
        -subj "$subject" -out "$csr"
    local -a extra=(-cert "$icrt" -keyfile "$ikey")
    [[ $selfsign == -selfsign ]] && extra=(-selfsign -keyfile "$key")
    LAB_SAN=$san LAB_LOGOTYPE=$logotype openssl ca -batch -notext -preserveDN -config "$cadir/ca.cnf" -extensions "$ext" \
        -startdate "$(_ts "$start")" -enddate "$(_ts "$end")" \
        "${extra[@]}" -subj "$subject" -in "$csr" -out "$out" 2>/dev/null
    rm -f "$csr"
}

# _leaf NAME CN SAN START END ISSUER [CHAINMODE]
#   ISSUER: inter | other | scanner | self
#   CHAINMODE: full (leaf+intermediate, default for inter) | leafonly | aia-leafonly
_leaf() {
    local name=$1 cn=$2 san=$3 start=$4 end=$5 issuer=$6 mode=${7:-full}
    local c=$PKI/certs ca=$PKI/ca
    _newkey "$c/$name.key"
    local ext=v3_leaf
    [[ $mode == aia-leafonly ]] && ext=v3_leaf_aia
    case $issuer in
        inter)   _sign "$ca" "$ca/intermediate.crt" "$ca/intermediate.key" "$cn" "$c/$name.key" "$c/$name.crt" "$ext" "$start" "$end" "$san" ;;
        other)   _sign "$ca" "$ca/other-ca.crt" "$ca/other-ca.key" "$cn" "$c/$name.key" "$c/$name.crt" "$ext" "$start" "$end" "$san" ;;
        scanner) _sign "$ca" "$ca/scanner-ca.crt" "$ca/scanner-ca.key" "$cn" "$c/$name.key" "$c/$name.crt" "$ext" "$start" "$end" "$san" ;;
        self)    _sign "$ca" "" "" "$cn" "$c/$name.key" "$c/$name.crt" v3_selfsigned_leaf "$start" "$end" "$san" -selfsign ;;
    esac
    if [[ $issuer == inter && $mode == full ]]; then
        cat "$c/$name.crt" "$ca/intermediate.crt" > "$c/$name.chain.pem"
    else
        cp "$c/$name.crt" "$c/$name.chain.pem"
    fi
    cat "$c/$name.key" "$c/$name.chain.pem" > "$c/$name.postfix.pem"
    chmod 600 "$c/$name.postfix.pem"
}

# _root NAME CN: self-signed CA certificate (valid -1 day .. +10 years).
_root() {
    local ca=$PKI/ca
    _newkey "$ca/$1.key"
    _sign "$ca" "" "" "$2" "$ca/$1.key" "$ca/$1.crt" v3_root "-1 day" "+3650 days" "" -selfsign
}

# The certificate of the MTA-STS policy hosts and of the BIMI files' host (maildoc domain);
# PKI must be set.
lab_leaf_mtasts() {
    _leaf mtasts mta-sts.stsok.posture.lab.example "DNS:mta-sts.stsok.posture.lab.example,DNS:mta-sts.stsmismatch.posture.lab.example,DNS:mta-sts.stsbadpolicy.posture.lab.example,DNS:mta-sts.stshtml.posture.lab.example,DNS:bimi.posture.lab.example" "-1 day" "+365 days" inter
}

# lab_vmc SVG OUT NAME ISSUER: a mark certificate for NAME holding the logo SVG (gzip,
# base64, as a data: URL); ISSUER is "inter" (the lab's intermediate, under the root the
# tests trust) or "other" (a CA nobody trusts). OUT gets the PEM: the certificate, then
# its issuer's certificate.
lab_vmc() {
    local svg=$1 out=$2 name=$3 issuer=$4 ca=$PKI/ca c=$PKI/certs
    local icrt=$ca/intermediate.crt ikey=$ca/intermediate.key
    [[ $issuer == other ]] && icrt=$ca/other-ca.crt ikey=$ca/other-ca.key
    _newkey "$c/vmc-$name.key"
    # The subject of a Registered Mark certificate (VMC requirements 7.1.4.2.2): markType,
    # trademark country and number (the BIMI group's OIDs), the organisation's address,
    # business category, registration number and jurisdiction.
    local subject="/markType=Registered Mark/O=maildoc lab/street=1 Lab Street/L=Chiyoda/C=JP"
    subject+="/businessCategory=Private Organization/serialNumber=0000000000000/jurisdictionC=JP"
    subject+="/trademarkCountryOrRegionName=JP/trademarkIdentifier=0000000/CN=$name"
    LAB_LOGOTYPE="data:image/svg+xml;base64,$(gzip -9n < "$svg" | base64 -w0)" \
        LAB_SUBJECT=$subject \
        _sign "$ca" "$icrt" "$ikey" "$name" "$c/vmc-$name.key" "$c/vmc-$name.crt" v3_vmc \
        "-1 day" "+365 days" "DNS:$name"
    cat "$c/vmc-$name.crt" "$icrt" > "$out"
}

# lab_make_pki DIR: (re)create DIR/ca and DIR/certs and DIR/www/intermediate.der.
lab_make_pki() {
    PKI=$1
    rm -rf "$PKI/ca" "$PKI/certs"
    mkdir -p "$PKI/ca" "$PKI/certs" "$PKI/www"
    _write_ca_conf "$PKI/ca"
    local ca=$PKI/ca

    _root root "maildoc Lab Root CA"
    _root other-ca "Other Test CA"
    _root scanner-ca "Lab Security Scanner Root"
    _newkey "$ca/intermediate.key"
    _sign "$ca" "$ca/root.crt" "$ca/root.key" "maildoc Lab Intermediate CA" \
        "$ca/intermediate.key" "$ca/intermediate.crt" v3_intermediate "-1 day" "+1825 days"
    openssl x509 -in "$ca/intermediate.crt" -outform DER -out "$PKI/www/intermediate.der"

    #     name         CN                       SAN                                                                                   start        end          issuer  chain
    _leaf healthy      imap.lab.example         "DNS:imap.lab.example,DNS:pop.lab.example,DNS:smtp.lab.example,DNS:mail.lab.example,DNS:lab.example,DNS:imap.slow.lab.example,DNS:pop.slow.lab.example,DNS:smtp.slow.lab.example,DNS:mx-daneee.posture.lab.example,DNS:mx-daneta.posture.lab.example,DNS:mx-danebad.posture.lab.example" "-1 day" "+365 days" inter
    _leaf expired      expired.lab.example      "DNS:expired.lab.example"      "-120 days" "-30 days"  inter
    _leaf wrongname    other.lab.example        "DNS:other.lab.example"        "-1 day"    "+365 days" inter
    _leaf selfsigned   selfsigned.lab.example   "DNS:selfsigned.lab.example"   "-1 day"    "+365 days" self
    _leaf unknownca    unknownca.lab.example    "DNS:unknownca.lab.example"    "-1 day"    "+365 days" other
    _leaf incomplete   incomplete.lab.example   "DNS:incomplete.lab.example"   "-1 day"    "+365 days" inter aia-leafonly
    _leaf smallsize    smallsize.lab.example    "DNS:smallsize.lab.example"    "-1 day"    "+365 days" inter
    _leaf op25b        op25b.lab.example        "DNS:op25b.lab.example"        "-1 day"    "+365 days" inter
    _leaf notyetvalid  notyetvalid.lab.example  "DNS:notyetvalid.lab.example"  "+30 days"  "+395 days" inter
    _leaf soon         soon.lab.example         "DNS:soon.lab.example"         "-355 days" "+10 days"  inter
    _leaf pop-on-imap  pop-on-imap.lab.example  "DNS:pop-on-imap.lab.example"  "-1 day"    "+365 days" inter
    _leaf legacy       legacy.lab.example       "DNS:legacy.lab.example"       "-1 day"    "+365 days" inter
    # One valid certificate for the four fault hosts (one leaf instead of four: start-up time).
    _leaf faults       faults.lab.example       "DNS:slow.lab.example,DNS:relay.lab.example,DNS:clientcert.lab.example,DNS:sslonly.lab.example" "-1 day" "+365 days" inter
    _leaf gmail        imap.gmail.com           "DNS:imap.gmail.com,DNS:smtp.gmail.com"                     "-1 day" "+365 days" scanner
    _leaf autoconfig   autoconfig.auto.lab.example "DNS:autoconfig.auto.lab.example,DNS:auto.lab.example,DNS:wellknown.lab.example" "-1 day" "+365 days" inter
    # The lab's PostgreSQL (lab.sh copies it into the cluster's directory for the server).
    _leaf pg           pg.lab.example           "DNS:pg.lab.example"           "-1 day"    "+365 days" inter
    lab_leaf_mtasts

    chmod 644 "$ca"/*.crt "$PKI/certs"/*.crt "$PKI/certs"/*.chain.pem
}
