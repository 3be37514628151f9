use serde_json::json;

use crate::helpers::{spawn_app, worked_example};

#[tokio::test]
async fn an_organiser_creates_edits_and_opens_a_consultation() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let created =
        app.post("/api/v1/consultations", &json!({"title": "  Riverside budget ", "description": "Plain words"}), Some(&token)).await;
    let body = created.ok(201).clone();
    let id = body["id"].as_str().unwrap();
    assert_eq!(body["title"], "Riverside budget");
    assert_eq!(body["phase"], "draft");
    assert_eq!(body["currency"], "GBP");
    assert_eq!(body["settings"]["rank_depth"], 5);
    assert_eq!(body["budget"]["savings_target"], json!(null));

    // Drafts are not public.
    app.get(&format!("/api/v1/consultations/{id}"), None).await.problem(404);
    assert!(app.get("/api/v1/consultations", None).await.ok(200).as_array().unwrap().is_empty());
    assert_eq!(app.get("/api/v1/manage/consultations", Some(&token)).await.ok(200).as_array().unwrap().len(), 1);

    let service = app.post(&format!("/api/v1/consultations/{id}/services"), &json!({"name": "Day centre"}), Some(&token)).await;
    assert_eq!(service.ok(201)["services"][0]["id"], "day-centre");
    let with_saving = app
        .post(
            &format!("/api/v1/consultations/{id}/proposals"),
            &json!({"kind": "saving", "title": "Close it", "amount": 8000000, "service": "day-centre"}),
            Some(&token),
        )
        .await;
    assert_eq!(with_saving.ok(201)["proposals"][0]["id"], "S1");
    let with_dev = app
        .post(
            &format!("/api/v1/consultations/{id}/proposals"),
            &json!({"kind": "development", "title": "Youth club", "amount": 300}),
            Some(&token),
        )
        .await;
    assert_eq!(with_dev.ok(201)["proposals"][1]["id"], "D1");

    let replaced = app
        .put(
            &format!("/api/v1/consultations/{id}/proposals/D1"),
            &json!({"kind": "development", "title": "Bigger youth club", "amount": 500}),
            Some(&token),
        )
        .await;
    assert_eq!(replaced.ok(200)["proposals"][1]["title"], "Bigger youth club");
    assert_eq!(replaced.body["proposals"][1]["amount"], 500);
    // The body may repeat the id in the address, not change it.
    let same = app
        .put(
            &format!("/api/v1/consultations/{id}/proposals/D1"),
            &json!({"id": "D1", "kind": "development", "title": "Youth club", "amount": 500}),
            Some(&token),
        )
        .await;
    assert_eq!(same.ok(200)["proposals"][1]["title"], "Youth club");
    let renamed = app
        .put(
            &format!("/api/v1/consultations/{id}/proposals/D1"),
            &json!({"id": "D9", "kind": "development", "title": "Youth club", "amount": 500}),
            Some(&token),
        )
        .await;
    renamed.problem_field(422, "id");
    let renamed = app
        .put(&format!("/api/v1/consultations/{id}/services/day-centre"), &json!({"id": "bad id!", "name": "Day centre"}), Some(&token))
        .await;
    renamed.problem_field(422, "id");

    let patched = app
        .patch(
            &format!("/api/v1/consultations/{id}"),
            &json!({"budget": {"savings_target": 8000000}, "settings": {"rank_depth": 3}}),
            Some(&token),
        )
        .await;
    assert_eq!(patched.ok(200)["budget"]["savings_target"], 8000000);
    assert_eq!(patched.body["settings"]["rank_depth"], 3);
    assert_eq!(patched.body["settings"]["max_weight"], 10, "settings left out keep their value");

    // The service is in use.
    app.delete(&format!("/api/v1/consultations/{id}/services/day-centre"), Some(&token)).await.problem(409);

    let opened = app.post_empty(&format!("/api/v1/consultations/{id}/open"), Some(&token)).await;
    assert_eq!(opened.ok(200)["phase"], "open");
    // Now public, and frozen.
    assert_eq!(app.get(&format!("/api/v1/consultations/{id}"), None).await.ok(200)["proposals"].as_array().unwrap().len(), 2);
    assert_eq!(app.get("/api/v1/consultations", None).await.ok(200).as_array().unwrap().len(), 1);
    app.patch(&format!("/api/v1/consultations/{id}"), &json!({"title": "New"}), Some(&token)).await.problem(409);
    app.post(&format!("/api/v1/consultations/{id}/proposals"), &json!({"kind": "saving", "title": "Late", "amount": 1}), Some(&token))
        .await
        .problem(409);
    app.delete(&format!("/api/v1/consultations/{id}/proposals/S1"), Some(&token)).await.problem(409);
}

#[tokio::test]
async fn phases_move_forward_one_step_at_a_time() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let empty = app.create_consultation(&token, &json!({"title": "Empty"})).await;
    let refused = app.post_empty(&format!("/api/v1/consultations/{empty}/open"), Some(&token)).await;
    assert!(refused.problem(409)["detail"].as_str().unwrap().contains("at least one proposal"));

    let id = app.create_consultation(&token, &worked_example()).await;
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&token)).await.problem(409);
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&token)).await.problem(409);
    app.open(&token, &id).await;
    app.post_empty(&format!("/api/v1/consultations/{id}/open"), Some(&token)).await.problem(409);
    let commissioner = app.commissioner().await;
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&commissioner)).await.problem(403);
    assert_eq!(app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&token)).await.ok(200)["phase"], "closed");
    assert_eq!(app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&commissioner)).await.ok(200)["phase"], "published");
}

#[tokio::test]
async fn bad_fields_are_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let cases = [
        (json!({"title": ""}), "title"),
        (json!({"title": "x", "currency": "pounds"}), "currency"),
        (json!({"title": "x", "budget": {"savings_target": -5}}), "budget.savings_target"),
        (json!({"title": "x", "settings": {"rank_depth": 0}}), "settings.rank_depth"),
        (json!({"title": "x", "settings": {"minority_share_percent": 95}}), "settings.minority_share_percent"),
        (json!({"title": "x", "areas": ["North", "North"]}), "areas[1]"),
        (
            json!({"title": "x", "proposals": [{"kind": "saving", "title": "a", "amount": 1}, {"kind": "saving", "title": "b", "amount": -1}]}),
            "proposals[1].amount",
        ),
        (json!({"title": "x", "proposals": [{"kind": "cut", "title": "a", "amount": 1}]}), "proposals[0].kind"),
        (json!({"title": "x", "proposals": [{"kind": "saving", "title": "a", "amount": 1, "service": "pool"}]}), "proposals[0].service"),
        (json!({"title": "x", "proposals": [{"kind": "saving", "title": "a", "amount": "lots"}]}), "proposals[0].amount"),
        (json!({"title": "x", "proposals": [{"kind": "saving", "title": "a"}]}), "proposals[0].amount"),
        (json!({"title": "x", "services": [{"id": "has space", "name": "Pool"}]}), "services[0].id"),
        (json!({"title": "x", "opens_at": "2030-01-02T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"}), "closes_at"),
        (json!({"title": "x", "opens_at": "+10000-01-01T00:00:00Z"}), "opens_at"),
        (json!({"title": "x", "settings": {"max_weight": 4294967295u32}}), "settings.max_weight"),
        (json!({"title": "x", "settings": {"min_group": 3000000000u32}}), "settings.min_group"),
    ];
    for (body, field) in cases {
        let response = app.post("/api/v1/consultations", &body, Some(&token)).await;
        response.problem_field(422, field);
    }
    let duplicate = app
        .post(
            "/api/v1/consultations",
            &json!({"title": "x", "proposals": [{"id": "S1", "kind": "saving", "title": "a", "amount": 1}, {"id": "S1", "kind": "saving", "title": "b", "amount": 2}]}),
            Some(&token),
        )
        .await;
    duplicate.problem_field(409, "proposals[1].id");
    assert!(app.get("/api/v1/manage/consultations", Some(&token)).await.ok(200).as_array().unwrap().is_empty(), "no partial writes");
}

#[tokio::test]
async fn unreadable_requests_are_problems_not_crashes() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    app.post_raw("/api/v1/consultations", "{not json", "application/json", Some(&token)).await.problem(400);
    app.post_raw("/api/v1/consultations", "title=x", "application/x-www-form-urlencoded", Some(&token)).await.problem(400);
    app.post_raw("/api/v1/consultations", "[1,2]", "application/json", Some(&token)).await.problem(400);
    app.post("/api/v1/consultations", &json!({"title": "x", "colour": "red"}), Some(&token)).await.problem_field(422, "colour");
    let huge = format!("{{\"title\": \"x\", \"description\": \"{}\"}}", "a".repeat(300 * 1024));
    app.post_raw("/api/v1/consultations", huge, "application/json", Some(&token)).await.problem(413);
    app.get("/api/v1/consultations/not-a-uuid", None).await.problem(404);
    app.get(&format!("/api/v1/consultations/{}", uuid::Uuid::new_v4()), None).await.problem(404);
    app.get("/api/v1/no-such-thing", None).await.problem(404);
    app.patch(&format!("/api/v1/consultations/{}", uuid::Uuid::new_v4()), &json!({"title": "x"}), Some(&token)).await.problem(404);
}

/// Two organisers adding proposals and services at once, without ids: each gets the next
/// free one, none is refused for a clash with an id the organiser never chose.
#[tokio::test]
async fn concurrent_adds_without_ids_get_distinct_ids() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let id = app.create_consultation(&token, &json!({"title": "Busy draft"})).await;
    let adds = (0..10).map(|i| {
        let (app, token, id) = (&app, &token, &id);
        async move {
            let (proposals, services) = (format!("/api/v1/consultations/{id}/proposals"), format!("/api/v1/consultations/{id}/services"));
            let (proposal, service) =
                (json!({"kind": "saving", "title": format!("Saving {i}"), "amount": 100}), json!({"name": "Library"}));
            let (p, s) = tokio::join!(app.post(&proposals, &proposal, Some(token)), app.post(&services, &service, Some(token)));
            (p.status, s.status)
        }
    });
    let statuses = futures::future::join_all(adds).await;
    assert!(statuses.iter().all(|&(p, s)| p == 201 && s == 201), "{statuses:?}");
    let draft = app.get(&format!("/api/v1/consultations/{id}"), Some(&token)).await;
    let mut proposal_ids: Vec<String> =
        draft.ok(200)["proposals"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    proposal_ids.sort_by_key(|id| id[1..].parse::<u32>().unwrap());
    assert_eq!(proposal_ids, (1..=10).map(|n| format!("S{n}")).collect::<Vec<_>>());
    let mut service_ids: Vec<String> =
        draft.body["services"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    service_ids.sort();
    let mut expected: Vec<String> = std::iter::once("library".to_owned()).chain((2..=10).map(|n| format!("library-{n}"))).collect();
    expected.sort();
    assert_eq!(service_ids, expected);
}

/// "Open" checks the paper it opens: deleting the last proposal at the same moment as
/// opening must leave either an open vote with that proposal or a draft without it,
/// never an open vote with nothing on the ballot.
#[tokio::test]
async fn opening_and_deleting_the_last_proposal_at_once_never_opens_an_empty_ballot() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    for attempt in 0..20 {
        let id = app
            .create_consultation(&token, &json!({"title": format!("Race {attempt}"), "proposals": [{"id": "P1", "kind": "saving", "title": "Only one", "amount": 100}]}))
            .await;
        let (proposal, open) = (format!("/api/v1/consultations/{id}/proposals/P1"), format!("/api/v1/consultations/{id}/open"));
        let (deleted, opened) = tokio::join!(app.delete(&proposal, Some(&token)), app.post_empty(&open, Some(&token)));
        let now = app.get(&format!("/api/v1/consultations/{id}"), Some(&token)).await;
        let proposals = now.ok(200)["proposals"].as_array().unwrap().len();
        match (deleted.status, opened.status) {
            (204, 409) => assert_eq!((now.body["phase"].as_str(), proposals), (Some("draft"), 0), "attempt {attempt}"),
            (409, 200) => assert_eq!((now.body["phase"].as_str(), proposals), (Some("open"), 1), "attempt {attempt}"),
            other => panic!("attempt {attempt}: delete and open answered {other:?}; now {} with {proposals} proposals", now.body["phase"]),
        }
    }
}

#[tokio::test]
async fn a_vote_whose_closing_time_has_passed_cannot_be_opened() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let mut body = worked_example();
    body["closes_at"] = json!("2001-01-01T00:00:00Z");
    let id = app.create_consultation(&token, &body).await;
    let refused = app.post_empty(&format!("/api/v1/consultations/{id}/open"), Some(&token)).await;
    assert!(refused.problem(409)["detail"].as_str().unwrap().contains("closing time"), "{}", refused.text);
    app.patch(&format!("/api/v1/consultations/{id}"), &json!({"closes_at": null}), Some(&token)).await.ok(200);
    app.open(&token, &id).await;
}

/// Two organisers changing different fields of a draft at the same moment: both changes
/// stick (neither writes back what it read before the other's change).
#[tokio::test]
async fn concurrent_changes_to_different_fields_both_stick() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let id = app.create_consultation(&token, &json!({"title": "Draft"})).await;
    let path = format!("/api/v1/consultations/{id}");
    for round in 0..15 {
        let (title, description) = (json!({"title": format!("Title {round}")}), json!({"description": format!("Description {round}")}));
        let (a, b) = tokio::join!(app.patch(&path, &title, Some(&token)), app.patch(&path, &description, Some(&token)));
        assert_eq!((a.status, b.status), (200, 200), "{} {}", a.text, b.text);
        let now = app.get(&path, Some(&token)).await;
        assert_eq!(
            (now.ok(200)["title"].as_str(), now.body["description"].as_str()),
            (Some(format!("Title {round}").as_str()), Some(format!("Description {round}").as_str())),
            "round {round}: a change was lost"
        );
    }
}

#[tokio::test]
async fn fields_that_cannot_be_cleared_refuse_null() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let id = app.create_consultation(&token, &worked_example()).await;
    let path = format!("/api/v1/consultations/{id}");
    for field in ["title", "description", "currency", "budget", "settings", "areas"] {
        let answer = app.patch(&path, &json!({field: null}), Some(&token)).await;
        assert!(answer.problem_field(422, field)["detail"].as_str().unwrap().contains("cannot be null"), "{field}: {}", answer.text);
    }
    // Dates can be cleared with null.
    app.patch(&path, &json!({"closes_at": "2030-01-01T00:00:00Z"}), Some(&token)).await.ok(200);
    assert_eq!(app.patch(&path, &json!({"closes_at": null}), Some(&token)).await.ok(200)["closes_at"], json!(null));
}
