"""`kamplan store …`: the team store's database roles."""
from __future__ import annotations

import click

from kamplan.cli.common import nt, open_workspace, t
from kamplan.cli.output import console, escape


@click.group("store")
def store():
    """The team store on PostgreSQL: database roles for the team."""


@store.command("setup-team")
@click.option("--manager", "managers", multiple=True, metavar="REGION=ROLE",
              help="A regional manager's database role and its region (repeat per manager).")
@click.option("--management", "management", multiple=True, metavar="ROLE", help="A read-only role that sees all.")
@click.option("--dry-run", is_flag=True, help="Print the SQL without running it.")
@click.pass_context
def setup_team(ctx, managers, management, dry_run):
    """Create each colleague's database role with row-level security by region, and print the SQL.

    Run it from the VP's workspace (its role owns the tables). Set each role's password yourself
    (ALTER ROLE … PASSWORD …); each colleague's workspace.yaml then says store_url (with their role),
    role: regional_manager and region: REGION.
    """
    from kamplan.store.team import TeamRole
    roles = []
    for item in managers:
        region, sep, role = item.partition("=")
        if not sep or not region or not role:
            raise click.BadParameter(t("cli.store.region-role", item=item), param_hint="--manager")
        roles.append(TeamRole(role.strip(), "regional_manager", region.strip()))
    roles += [TeamRole(role.strip(), "management") for role in management]
    with open_workspace(ctx, read_only=True) as ws:
        ws.require_vp("set up the team's database roles")
        known = {r.id for r in ws.config.regions}
        unknown = sorted({r.region for r in roles if r.region and r.region not in known})
        if unknown:
            raise click.BadParameter(t("cli.store.unknown-regions", unknown=", ".join(unknown),
                                       known=", ".join(sorted(known))), param_hint="--manager")
        statements = ws.store.setup_team(roles, dry_run=dry_run)
    for sql in statements:
        console.print(escape(sql) + ";", highlight=False, soft_wrap=True)
    console.print(nt("cli.store.would-run" if dry_run else "cli.store.ran", len(statements), roles=len(roles)))
