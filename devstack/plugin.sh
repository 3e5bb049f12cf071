#!/bin/bash
# plugin.sh - devstack plugin of magnum-capi-driver
#
# Installs the driver into Magnum's Python environment, installs helm, and
# writes the [capi_driver] section of magnum.conf. It does not create a
# Cluster API management cluster: the operator provides its kubeconfig
# (see devstack/README.rst).
#
# Enable it after Magnum, whose post-config phase rewrites magnum.conf:
#
#   enable_plugin magnum https://opendev.org/openstack/magnum
#   enable_plugin magnum-capi-driver <url of this repository>

# Save trace setting
_XTRACE_MAGNUM_CAPI=$(set +o | grep xtrace)
set -o xtrace

MAGNUM_CONF=${MAGNUM_CONF:-/etc/magnum/magnum.conf}


# magnum_capi_check_plugin_order - die unless Magnum's plugin comes first
function magnum_capi_check_plugin_order {
    local me all before
    me=$(basename "$MAGNUM_CAPI_DRIVER_DIR")
    all=",${DEVSTACK_PLUGINS},"
    before="${all%%,${me},*},"
    if [[ "$before" != *",magnum,"* ]]; then
        die $LINENO "enable_plugin ${me} must come after enable_plugin" \
            "magnum in local.conf: Magnum's post-config phase rewrites" \
            "$MAGNUM_CONF and would drop the [capi_driver] section"
    fi
}

# install_magnum_capi_driver - pip-install the driver next to Magnum
function install_magnum_capi_driver {
    setup_develop "$MAGNUM_CAPI_DRIVER_DIR"
    # Magnum finds drivers through this entry point; check it resolves in
    # the environment Magnum runs from.
    "$PYTHON" - <<'PY' || die $LINENO "magnum-capi-driver is installed but Magnum cannot see driver k8s_capi_driver"
from importlib import metadata
names = [e.name for e in metadata.entry_points(group='magnum.drivers')]
raise SystemExit(0 if 'k8s_capi_driver' in names else 1)
PY
}

# magnum_capi_helm_arch - helm's name for this machine's architecture
function magnum_capi_helm_arch {
    case "$(uname -m)" in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
        ppc64le) echo ppc64le ;;
        s390x) echo s390x ;;
        *) die $LINENO "no helm release for architecture $(uname -m)" ;;
    esac
}

# magnum_capi_helm_version - the version of a helm binary, e.g. v3.19.0
function magnum_capi_helm_version {
    "$1" version --template '{{.Version}}' 2>/dev/null
}

# install_magnum_capi_helm - install helm $HELM_VERSION from its release
function install_magnum_capi_helm {
    if [[ "$(magnum_capi_helm_version "$MAGNUM_CAPI_HELM_BIN")" == "v${HELM_VERSION#v}" ]]; then
        echo "helm v${HELM_VERSION#v} already at $MAGNUM_CAPI_HELM_BIN"
        return
    fi
    local arch tarball dir want got
    arch=$(magnum_capi_helm_arch)
    tarball="helm-v${HELM_VERSION#v}-linux-${arch}.tar.gz"
    dir="$MAGNUM_CAPI_DRIVER_STATE_DIR/helm-v${HELM_VERSION#v}"
    mkdir -p "$dir"
    curl -fsSL --retry 3 -o "$dir/$tarball" "$HELM_DOWNLOAD_URL/$tarball" \
        || die $LINENO "cannot download $HELM_DOWNLOAD_URL/$tarball"
    curl -fsSL --retry 3 -o "$dir/$tarball.sha256" \
        "$HELM_DOWNLOAD_URL/$tarball.sha256" \
        || die $LINENO "cannot download $HELM_DOWNLOAD_URL/$tarball.sha256"
    want=$(awk '{print $1}' "$dir/$tarball.sha256")
    got=$(sha256sum "$dir/$tarball" | awk '{print $1}')
    if [[ -z "$want" || "$want" != "$got" ]]; then
        rm -f "$dir/$tarball"
        die $LINENO "$tarball: sha256 is $got, the release says '$want'"
    fi
    tar -xzf "$dir/$tarball" -C "$dir"
    sudo install -D -m 0755 "$dir/linux-${arch}/helm" "$MAGNUM_CAPI_HELM_BIN"
    if [[ "$(magnum_capi_helm_version "$MAGNUM_CAPI_HELM_BIN")" != "v${HELM_VERSION#v}" ]]; then
        die $LINENO "$MAGNUM_CAPI_HELM_BIN does not report v${HELM_VERSION#v}"
    fi
}

# configure_magnum_capi_driver - write [capi_driver] into magnum.conf
function configure_magnum_capi_driver {
    if [[ ! -f "$MAGNUM_CONF" ]]; then
        die $LINENO "$MAGNUM_CONF does not exist: is Magnum's plugin enabled" \
            "before this one?"
    fi
    if [[ -n "$MAGNUM_CAPI_KUBECONFIG" && ! -r "$MAGNUM_CAPI_KUBECONFIG" ]]; then
        warn $LINENO "MAGNUM_CAPI_KUBECONFIG=$MAGNUM_CAPI_KUBECONFIG is not a readable file; clusters cannot be created until it is"
    fi
    if [[ -z "$MAGNUM_CAPI_KUBECONFIG" ]]; then
        warn $LINENO "MAGNUM_CAPI_KUBECONFIG is empty: the driver uses \$KUBECONFIG or ~/.kube/config of $STACK_USER"
    fi
    if [[ ! -x "$MAGNUM_CAPI_HELM_BIN" ]]; then
        warn $LINENO "no helm at MAGNUM_CAPI_HELM_BIN=$MAGNUM_CAPI_HELM_BIN"
    fi
    iniset "$MAGNUM_CONF" capi_driver kubeconfig_file "$MAGNUM_CAPI_KUBECONFIG"
    iniset "$MAGNUM_CONF" capi_driver kubeconfig_context "$MAGNUM_CAPI_KUBECONFIG_CONTEXT"
    iniset "$MAGNUM_CONF" capi_driver namespace_prefix "$MAGNUM_CAPI_NAMESPACE_PREFIX"
    iniset "$MAGNUM_CONF" capi_driver chart_name "$MAGNUM_CAPI_CHART_NAME"
    iniset "$MAGNUM_CONF" capi_driver chart_repository "$MAGNUM_CAPI_CHART_REPO"
    iniset "$MAGNUM_CONF" capi_driver chart_version "$MAGNUM_CAPI_CHART_VERSION"
    iniset "$MAGNUM_CONF" capi_driver helm_executable "$MAGNUM_CAPI_HELM_BIN"
    if [[ "$MAGNUM_CAPI_DEFAULT_DRIVER" == "True" ]]; then
        iniset "$MAGNUM_CONF" drivers default_driver k8s_capi_driver
    fi
}

# restart_magnum_for_capi_driver - restart the Magnum services that run
function restart_magnum_for_capi_driver {
    local service
    for service in magnum-api magnum-cond; do
        if is_service_enabled "$service" && \
                $SYSTEMCTL is-active --quiet "devstack@${service}.service"; then
            $SYSTEMCTL restart "devstack@${service}.service"
        fi
    done
}

# cleanup_magnum_capi_driver - remove the plugin's downloads
function cleanup_magnum_capi_driver {
    sudo rm -rf "$MAGNUM_CAPI_DRIVER_STATE_DIR"
}


if is_service_enabled magnum-api magnum-cond; then
    if [[ "$1" == "stack" && "$2" == "pre-install" ]]; then
        magnum_capi_check_plugin_order

    elif [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing magnum-capi-driver"
        install_magnum_capi_driver
        if [[ "$MAGNUM_CAPI_INSTALL_HELM" == "True" ]]; then
            echo_summary "Installing helm v${HELM_VERSION#v}"
            install_magnum_capi_helm
        fi

    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring magnum-capi-driver"
        configure_magnum_capi_driver

    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        if [[ "$MAGNUM_CAPI_RESTART_MAGNUM" == "True" ]]; then
            echo_summary "Restarting Magnum for magnum-capi-driver"
            restart_magnum_for_capi_driver
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        # The driver runs inside Magnum's services; nothing of its own to
        # stop. Clusters on the management cluster are left alone.
        :
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_magnum_capi_driver
    fi
fi

# Restore xtrace
$_XTRACE_MAGNUM_CAPI
