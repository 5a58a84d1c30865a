#!/bin/bash
# install.sh - phase 1 of the real-Nova test stack: Debian 12's OpenStack (Zed) packages,
# installed without a single debconf question and without starting any daemon (up.sh starts
# each one itself, on 127.0.0.1 only, under a state folder). Idempotent: a second run with
# every package present does nothing. Needs root (apt-get) and Debian 12's archive.
# Why these packages: nova-compute with the *fake* virt driver gives real Nova API, scheduler,
# conductor and migrations without qemu/libvirt; nova-compute-ironic satisfies nova-compute's
# "a hypervisor flavour" dependency without pulling qemu; glance holds the one (unused) image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
PKGS="mariadb-server rabbitmq-server keystone placement-api nova-api nova-conductor nova-scheduler
      nova-compute nova-compute-ironic glance-api python3-keystoneclient uwsgi-core uwsgi-plugin-python3 curl jq"
missing=()
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "install.sh: all packages present"; exit 0; fi
echo "install.sh: installing ${missing[*]}"
# Maintainer scripts must not start the services (no systemd here, and up.sh wants its own ports):
# policy-rc.d exit 101 = "action forbidden". Removed again when we are done, unless it was there.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e $POLICY ]; then printf '#!/bin/sh\nexit 101\n' > $POLICY; chmod +x $POLICY; trap 'rm -f $POLICY' EXIT; fi
# debconf preseeding: "no" to every DB / rabbit / keystone / endpoint question (up.sh does it all)
{
for p in keystone nova glance placement; do
  echo "$p $p/configure_db boolean false"
  echo "$p $p/dbconfig-install boolean false"
done
echo "nova-api novaapi/configure_db boolean false"
echo "nova-api nova-api/dbconfig-install boolean false"
echo "nova-common nova-common/dbconfig-install boolean false"
echo "keystone keystone/create-admin-tenant boolean false"
echo "keystone keystone/register-endpoint boolean false"
for q in configure_rabbit configure_ksat configure_neutron configure_placement configure_api-endpoint ksat-create-service-user; do
  echo "nova-common nova/$q boolean false"
done
for q in configure_rabbit configure_ksat configure_api-endpoint ksat-create-service-user; do
  echo "glance-common glance/$q boolean false"
done
echo "placement-common placement/configure_ksat boolean false"
echo "placement-common placement/ksat-create-service-user boolean false"
echo "dbconfig-common dbconfig-common/remember-admin-pass boolean false"
} | debconf-set-selections
apt-get update -q
nice -n 19 apt-get install -y -q --no-install-recommends \
   -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $PKGS
