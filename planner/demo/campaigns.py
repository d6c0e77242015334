"""Demo part: our channels, two fictional GAMMMA+ campaigns, and drafts in every workflow state."""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from planner import auth, checks, wording
from planner.demo import DemoContext
from planner.drafts import content_hash, snapshot
from planner.models import (
    Approval,
    ApprovalAcknowledgement,
    Campaign,
    CampaignAdjustment,
    CampaignChannel,
    CampaignTrend,
    Channel,
    Draft,
    DraftComment,
    DraftVariant,
    DraftVersion,
    Trend,
    User,
    Watchlist,
    WatchlistItem,
    utcnow,
)

# Demo colleagues. Their passwords are random and never shown: an admin resets one to use the account.
DEMO_USERS = (
    ("demo.drafter", "Dana Draftwell (fictional demo drafter)", auth.Role.DRAFTER),
    ("demo.reviewer", "Rowan Reviewright (fictional demo reviewer)", auth.Role.REVIEWER),
    ("demo.reviewer2", "Riley Second-Look (fictional demo reviewer)", auth.Role.REVIEWER),
)
SITE = "https://valleyvoices.example"


def _users(session) -> dict[str, User]:
    out = {}
    for username, display, role in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                display_name=display,
                password_hash=auth.hash_password(secrets.token_urlsafe(32)),
                role=role,
            )
            session.add(user)
        out[username] = user
    session.flush()
    return out


def _channels(ctx: DemoContext) -> dict[str, Channel]:
    out = {}
    for c in ctx.world.channels:
        ch = Channel(platform=c["platform"], handle=c["handle"], notes=f"{ctx.world.our_organisation} official account")
        ctx.session.add(ch)
        out[c["platform"]] = ch
    web = Channel(platform="web", handle="valleyvoices.example", url=SITE, notes="Our website's news page")
    ctx.session.add(web)
    out["web"] = web
    ctx.session.flush()
    return out


def _watch_adversary(ctx: DemoContext) -> None:
    """Make sure the adversary's hashtags and domains are watched, so the demo's checks have something to find."""
    world, session = ctx.world, ctx.session
    watched = set(session.scalars(select(WatchlistItem.value)))
    wanted = [("hashtag", "#" + h.lower()) for h in world.adversary_hashtags]
    wanted += [("domain", d) for d in world.adversary_domains]
    wanted += [("term", s.lower()) for s in world.adversary_slogans]
    missing = [(k, v) for k, v in wanted if v not in watched]
    if not missing:
        return
    wl = Watchlist(name=f"{world.adversary} (campaign safety checks)", description="Added by the campaigns demo part")
    session.add(wl)
    session.flush()
    session.add_all(WatchlistItem(watchlist_id=wl.id, kind=k, value=v) for k, v in missing)
    session.flush()


def _campaign(ctx: DemoContext, creator: User, chans: list[Channel], **plan) -> Campaign:
    json_fields = ("kpi_targets", "audience_languages", "audience_active_hours", "messengers", "media_formats", "tags")
    camp = Campaign(created_by=creator.id, **{k: json.dumps(v) if k in json_fields else v for k, v in plan.items()})
    ctx.session.add(camp)
    ctx.session.flush()
    ctx.session.add_all(CampaignChannel(campaign_id=camp.id, channel_id=c.id) for c in chans)
    hashtag_trends = list(
        ctx.session.scalars(
            select(Trend.id).where(
                Trend.kind == "hashtag", Trend.key.in_(["#" + h.lower() for h in ctx.world.adversary_hashtags])
            )
        )
    )
    ctx.session.add_all(CampaignTrend(campaign_id=camp.id, trend_id=t) for t in hashtag_trends[:2])
    return camp


def _draft(ctx, camp, author, status, title, variants, **fields) -> Draft:
    draft = Draft(campaign_id=camp.id, title=title, status=status, created_by=author.id, **fields)
    draft.variants = [DraftVariant(channel_id=ch.id, text=text) for ch, text in variants]
    ctx.session.add(draft)
    ctx.session.flush()
    ctx.session.add(
        DraftVersion(
            draft_id=draft.id,
            number=1,
            draft_version=draft.version,
            author_id=author.id,
            author_name=author.username,
            summary="created",
            content=json.dumps(snapshot(ctx.session, draft)),
        )
    )
    return draft


def _approve(ctx, draft: Draft, reviewer: User, note: str = "", reasons: dict[str, str] | None = None) -> Approval:
    approval = Approval(
        draft_id=draft.id,
        reviewer_id=reviewer.id,
        reviewer_name=reviewer.username,
        content_hash=content_hash(draft),
        note=note,
    )
    if reasons:
        risky = checks.needs_acknowledgement(checks.check_draft(ctx.session, draft))
        approval.acknowledgements = [
            ApprovalAcknowledgement(check_id=f.id, channel=f.channel, message=f.message, reason=reasons[f.id])
            for f in risky
            if f.id in reasons
        ]
    ctx.session.add(approval)
    return approval


def add_campaigns(ctx: DemoContext) -> str:
    """Channels, campaigns and drafts"""
    session, world = ctx.session, ctx.world
    users = _users(session)
    drafter, rev1, rev2 = users["demo.drafter"], users["demo.reviewer"], users["demo.reviewer2"]
    chans = _channels(ctx)
    _watch_adversary(ctx)
    start = date.fromisoformat(world.start)
    young, parents = world.audiences[0], world.audiences[1]

    valley = _campaign(
        ctx,
        drafter,
        [chans["x"], chans["instagram"], chans["telegram"]],
        name="Valley Together",
        status="active",
        starts_on=start + timedelta(days=5),
        ends_on=start + timedelta(days=60),
        goal="Give young adults who meet the Lantern's recruiters a real local alternative: the mentoring evenings.",
        kpi_targets=[
            {"metric": "mentoring evening sign-ups from Valleyton", "target": 150, "unit": "people"},
            {"metric": "link clicks from the 18-25 audience", "target": 2000, "unit": "clicks"},
            {"metric": "share of voice on #GreyLanternRises conversations", "target": 30, "unit": "%"},
        ],
        audience=young["name"],
        audience_profile="18-25, mostly online in the evening, follow local football and music; some feel left "
        "behind since the factory closed. Reached by the Lantern's 'the cities hide' narrative.",
        audience_languages=young["languages"],
        audience_time_zone=young["time_zone"],
        audience_active_hours=young["active_hours"],
        message_type="alternative",
        key_message="The valley is built by people who stay and help each other, and you are welcome.",
        messengers=[
            {
                "name": "Sam Rivers (fictional)",
                "role": "youth worker at the Valleyton youth centre",
                "credibility": "grew up in Valleyton; known to local football clubs",
            },
            {
                "name": "Jo Ashdown (fictional)",
                "role": "former supporter of the Order, now a mentor",
                "credibility": "speaks from experience; consented to be named",
            },
        ],
        media_formats=["video", "text", "image"],
        call_to_action="Join a mentoring evening at the youth centre",
        monitoring_plan="Weekly: sign-ups, clicks by channel (UTM), reply sentiment sample of 50. Monthly review with "
        "the youth centre. Stop posts that draw hostile pile-ons.",
        reply_capacity="Two staff answer replies 18:00-22:00 on weekdays.",
        funder=world.our_funder,
        affiliation_disclosure=f"Run by {world.our_organisation}; funded by {world.our_funder}. No government funding.",
        tags=["youth", "mentoring", "valleyton"],
        required_approvals=1,
    )
    session.add(
        CampaignAdjustment(
            campaign_id=valley.id,
            author_id=drafter.id,
            author_name=drafter.username,
            what="audience active hours: [18, 19, 20] -> [18, 19, 20, 21, 22]",
            why="Week 1 results: most replies came after 21:00.",
        )
    )
    schools = _campaign(
        ctx,
        rev1,
        [chans["facebook"], chans["web"], chans["telegram"]],
        name="Open Doors for Parents",
        status="planning",
        starts_on=start + timedelta(days=20),
        ends_on=start + timedelta(days=80),
        goal="Help parents and teachers recognise recruitment messages and know where to get advice.",
        kpi_targets=[
            {"metric": "guide downloads", "target": 800, "unit": "downloads"},
            {"metric": "parents attending the school evenings", "target": 120, "unit": "people"},
        ],
        audience=parents["name"],
        audience_profile="Parents of 12-18 year-olds and secondary teachers in the valley; on Facebook groups "
        "mornings and evenings; worried but unsure what is real.",
        audience_languages=parents["languages"],
        audience_time_zone=parents["time_zone"],
        audience_active_hours=parents["active_hours"],
        message_type="strategic",
        key_message="You are not alone: here is what recruitment looks like and who can help.",
        messengers=[
            {
                "name": "Dr. Amal Brook (fictional)",
                "role": "school counsellor",
                "credibility": "trusted by parents' associations",
            }
        ],
        media_formats=["text", "image", "offline"],
        call_to_action="Download the parents' guide",
        monitoring_plan="Downloads by channel (UTM), attendance at evenings, a short survey before and after.",
        reply_capacity="Counsellor answers questions in a weekly live session.",
        funder=world.our_funder,
        affiliation_disclosure=f"Run by {world.our_organisation} with the valley schools; "
        f"funded by {world.our_funder}.",
        tags=["parents", "schools"],
        required_approvals=2,
    )
    session.flush()

    cta = "Join a mentoring evening at the youth centre"
    link = f"{SITE}/mentoring?utm_source=x&utm_medium=social&utm_campaign=valley-together"
    tag = world.adversary_hashtags[0]
    made = []

    def variants(x=None, ig=None, tg=None, fb=None, web=None):
        pairs = [(chans["x"], x), (chans["instagram"], ig), (chans["telegram"], tg)]
        pairs += [(chans["facebook"], fb), (chans["web"], web)]
        return [(c, t) for c, t in pairs if t]

    d = _draft(
        ctx,
        valley,
        drafter,
        "draft",
        "Football and mentoring",
        variants(
            x=f"Friday nights at the Valleyton youth centre: five-a-side, then an hour with a mentor. {cta}: {link}",
            ig="Five-a-side, then an hour with someone who has your back. Join a mentoring evening: link in bio.",
        ),
        frame="alternative",
        language="en",
        master_text="Friday nights at the youth centre: football, then an hour with a mentor.",
        media=json.dumps([{"ref": "media/five-a-side.jpg", "alt_text": "Young people playing five-a-side at dusk"}]),
        links=json.dumps([f"{SITE}/mentoring"]),
        ab_label="A",
    )
    made.append(d)
    d = _draft(
        ctx,
        valley,
        drafter,
        "in_review",
        "Jo's story",
        variants(
            x=f'"I thought the Order was the only family I had. I was wrong." Jo now mentors others. {cta}: {link}',
            tg=f'"I thought the Order was the only family I had. I was wrong." Jo Ashdown (fictional) tells how she '
            f"left, and what helped. {cta}: "
            f"{SITE}/jo?utm_source=telegram&utm_medium=social&utm_campaign=valley-together",
        ),
        frame="testimonial",
        language="en",
        master_text="Jo's story, in her own words.",
        claim_countered="Only the Order offers belonging",
        ab_label="A",
    )
    made.append(d)
    d = _draft(
        ctx,
        valley,
        drafter,
        "changes_requested",
        "Myth versus fact: the valley is not abandoned",
        variants(x="The valley is not abandoned. 40 new apprenticeships opened this autumn."),
        frame="truth_sandwich",
        language="en",
        master_text="The valley is not abandoned. 40 new apprenticeships opened this autumn.",
        claim_countered="The cities have abandoned the valley",
        evidence=json.dumps([{"title": "Valleyton council apprenticeship report (fictional)", "url": f"{SITE}/facts"}]),
    )
    session.add(
        DraftComment(
            draft_id=d.id,
            author_id=rev1.id,
            author_name=rev1.username,
            body="Changes requested: add the source link and a next step (the apprenticeship fair).",
        )
    )
    made.append(d)
    d = _draft(
        ctx,
        valley,
        drafter,
        "approved",
        "Redirect: searching the Lantern tag",
        variants(
            x=f"Seen #{tag} in your feed and have questions? Talk to people who have been there, in confidence: "
            f"{SITE}/talk?utm_source=x&utm_medium=social&utm_campaign=valley-together",
        ),
        frame="redirect",
        language="en",
        master_text="Point people searching the tag to the confidential talk line.",
        ab_label="B",
    )
    _approve(
        ctx,
        d,
        rev1,
        note="Time-limited use of the tag, after its peak.",
        reasons={
            "adversary_hashtag": "Redirect Method: one post that uses their tag so people searching it find the talk "
            "line; the tag is past its tipping point and we will not repeat it."
        },
    )
    made.append(d)
    d = _draft(
        ctx,
        valley,
        drafter,
        "scheduled",
        "Mentoring evening this Friday",
        variants(
            x=f"This Friday 19:00, youth centre: pizza, football, and people who listen. {cta}: {link}",
            ig="This Friday 19:00 at the youth centre: pizza, football, people who listen. Join us: link in bio.",
        ),
        frame="alternative",
        language="en",
        master_text="This Friday 19:00 at the youth centre.",
        media=json.dumps([{"ref": "media/friday-poster.png", "alt_text": "Poster: Friday 19:00, youth centre"}]),
    )
    _approve(ctx, d, rev1)
    made.append(d)
    d = _draft(
        ctx,
        valley,
        drafter,
        "published",
        "Launch post",
        variants(x=f"Valley Together starts today: mentoring evenings every Friday. {cta}: {link}"),
        frame="alternative",
        language="en",
        master_text="Valley Together starts today.",
    )
    _approve(ctx, d, rev2)
    made.append(d)
    d = _draft(
        ctx,
        schools,
        rev1,
        "in_review",
        "What recruitment looks like: a guide for parents",
        variants(
            fb="Worried about what your teenager sees online? Our free guide shows what recruitment messages look "
            "like and who can help. Download the parents' guide: "
            f"{SITE}/guide?utm_source=facebook&utm_medium=social&utm_campaign=open-doors-for-parents",
            web="A free guide for parents and teachers: what recruitment looks like, and who can help. Download the "
            f"parents' guide: {SITE}/guide",
        ),
        frame="alternative",
        language="en",
        master_text="A free guide for parents and teachers.",
    )
    _approve(ctx, d, rev2, note="First of two approvals.")
    made.append(d)
    d = _draft(
        ctx,
        schools,
        rev1,
        "archived",
        "Old poster text",
        variants(fb="School evenings start in spring. Download the parents' guide."),
        frame="alternative",
        language="en",
        master_text="School evenings start in spring.",
    )
    made.append(d)
    session.add(
        DraftComment(
            draft_id=made[0].id,
            author_id=rev1.id,
            author_name=rev1.username,
            body="Nice. Can we add a photo from last week's evening?",
        )
    )
    for draft in made:
        draft.updated_at = utcnow()
    session.flush()
    states = sorted({wording.label(d.status, "status").lower() for d in made})
    return f"{len(chans)} channels, 2 campaigns, {len(made)} drafts ({', '.join(states)}), 3 demo colleagues"
