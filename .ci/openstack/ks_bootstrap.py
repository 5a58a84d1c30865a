#!/usr/bin/python3
"""Create the service project, the service users and the catalog in Keystone (idempotent).
Called by up.sh with KS_URL, PW and the service URLs in the environment."""
import os, sys
from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client

KS = os.environ["KS_URL"]; PW = os.environ["PW"]
sess = session.Session(auth=v3.Password(auth_url=KS + "/v3", username="admin", password=PW,
        project_name="admin", user_domain_id="default", project_domain_id="default"))
ks = client.Client(session=sess)
def get_or(lst, name, create):
    for x in lst:
        if x.name == name: return x
    return create()
dom = ks.domains.get("default")
svc = get_or(ks.projects.list(name="service"), "service", lambda: ks.projects.create("service", dom, description="service project"))
admin_role = get_or(ks.roles.list(name="admin"), "admin", lambda: ks.roles.create("admin"))
service_role = get_or(ks.roles.list(name="service"), "service", lambda: ks.roles.create("service"))
for u in ("nova", "placement", "glance", "neutron"):
    user = get_or(ks.users.list(name=u, domain=dom), u, lambda: ks.users.create(u, domain=dom, password=PW, default_project=svc))
    ks.roles.grant(admin_role, user=user, project=svc)
    ks.roles.grant(service_role, user=user, project=svc)
cat = {"compute": ("nova", os.environ["NOVA_URL"] + "/v2.1"),
       "placement": ("placement", os.environ["PLACEMENT_URL"]),
       "image": ("glance", os.environ["GLANCE_URL"]),
       "network": ("neutron", os.environ["NEUTRON_URL"])}
existing = {s.type: s for s in ks.services.list()}
for stype, (name, url) in cat.items():
    s = existing.get(stype) or ks.services.create(name, type=stype)
    have = {e.interface for e in ks.endpoints.list(service=s)}
    for iface in ("public", "internal", "admin"):
        if iface not in have:
            ks.endpoints.create(s, url, interface=iface, region="RegionOne")
print("keystone catalog:", ", ".join("%s=%s" % (k, v[1]) for k, v in cat.items()))
