import Foundation

/// The OpenAPI 3 description served at /openapi.json. Every operation also documents its
/// errors as the `Error` schema (the `default` response).
enum OpenAPIDocument {
    static let json: String = {
        let data = try? JSONSerialization.data(withJSONObject: document(), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data ?? Data("{}".utf8), as: UTF8.self)
    }()

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    private static func object(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        var o: [String: Any] = ["type": "object", "properties": properties]
        if !required.isEmpty { o["required"] = required }
        return o
    }
    private static var string: [String: Any] { ["type": "string"] }
    private static var number: [String: Any] { ["type": "number"] }
    private static var integer: [String: Any] { ["type": "integer"] }
    private static var boolean: [String: Any] { ["type": "boolean"] }
    private static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    private static func nullable(_ s: [String: Any]) -> [String: Any] { ["oneOf": [s, ["type": "null"]]] }

    private static func jsonBody(_ schema: [String: Any]) -> [String: Any] {
        ["required": true, "content": ["application/json": ["schema": schema]]]
    }
    /// A form upload, or the same fields as JSON with the images in base64 (or data: URLs).
    private static func multipart(_ properties: [String: Any], required: [String]) -> [String: Any] {
        let json = properties.mapValues { p -> Any in
            ((p as? [String: Any])?["format"] as? String) == "binary" ? ["type": "string", "format": "byte", "description": "base64, or a data: URL"] : p
        }
        return ["required": true, "content": ["multipart/form-data": ["schema": object(properties, required: required)],
                                              "application/json": ["schema": object(json, required: required)]]]
    }
    private static var file: [String: Any] { ["type": "string", "format": "binary"] }

    private static func op(_ summary: String, tag: String, auth: Bool = true, body: [String: Any]? = nil,
                           parameters: [[String: Any]] = [], ok: String = "200", response: [String: Any]? = nil) -> [String: Any] {
        var responses: [String: Any] = ["default": ["description": "error", "content": ["application/json": ["schema": ref("Error")]]]]
        responses[ok] = response.map { ["description": "success", "content": ["application/json": ["schema": $0]]] } ?? ["description": "success"]
        var o: [String: Any] = ["summary": summary, "tags": [tag], "responses": responses]
        if let body { o["requestBody"] = body }
        if !parameters.isEmpty { o["parameters"] = parameters }
        if !auth { o["security"] = [] as [Any] }
        return o
    }
    private static func path(_ name: String, _ schema: [String: Any] = ["type": "string"]) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "schema": schema]
    }
    private static func query(_ name: String, _ schema: [String: Any]) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "schema": schema]
    }

    static func document() -> [String: Any] {
        let credentials = object(["username": string, "password": string, "role": ["type": "string", "enum": ["admin", "operator", "viewer"]]],
                                 required: ["username", "password"])
        let query = multipart(["file": file, "files": file, "threshold": string, "include_demographics": string], required: ["file"])
        let imageID: [String: Any] = ["type": "integer", "format": "int64"]
        return [
            "openapi": "3.0.3",
            "info": ["title": "Likeness", "version": "1.0.0",
                     "description": "Self-hosted face recognition. Errors are {\"error\": {\"code\", \"message\"}}."],
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "a login token or an API key (lk_...)"]],
                "schemas": [
                    "Error": object(["error": object(["code": string, "message": string], required: ["code", "message"])], required: ["error"]),
                    "PersonInfo": object(["class_id": string, "name": string, "info": string], required: ["class_id", "name", "info"]),
                    "Person": object(["class_id": string, "name": string, "info": string, "created_at": string, "updated_at": string],
                                     required: ["class_id", "name", "info"]),
                    "Face": object(["image_id": integer, "class_id": string, "recognizer": string, "box": array(number),
                                    "detection_score": number, "created_at": string, "image_sha256": string, "has_crop": boolean],
                                   required: ["image_id", "class_id"]),
                    "IndexStatus": object(["total_vectors": integer, "dimension": integer, "index_type": string, "metric": string,
                                           "recognizer": string, "default_threshold": number, "threshold_applied": ref("ThresholdApplied"),
                                           "calibrated": boolean, "ntotal": integer, "index_setting": string, "memory_bytes": integer,
                                           "index_position": integer, "database_position": integer, "snapshot_position": integer,
                                           "snapshot_age_seconds": number, "rebuilding": string, "last_build_error": string, "max_vectors": integer,
                                           "liveness_available": boolean, "attributes_available": boolean, "anti_spoofing": boolean,
                                           "faces_by_recognizer": ["type": "object", "additionalProperties": integer], "unsearchable_faces": integer,
                                           "stored_images": object(["crops": integer, "originals": integer, "original_bytes": integer,
                                                                    "original_retention_days": number, "originals_budget_bytes": integer])],
                                          required: ["total_vectors", "dimension", "index_type"]),
                    "Token": object(["access_token": string, "token_type": string, "expires_in": integer, "role": string],
                                    required: ["access_token", "token_type"]),
                    "Account": object(["id": integer, "username": string, "role": string, "disabled": boolean, "created_at": string],
                                      required: ["id", "username", "role"]),
                    "Match": object(["similarity": nullable(number), "person_info": nullable(ref("PersonInfo")), "image_id": integer]),
                    "ThresholdApplied": object(["cosine": number, "basis": string, "reason": string, "comparisons": integer,
                                                "false_match_rate": nullable(number), "false_positive_identification_rate": nullable(number),
                                                "confidence": nullable(number), "extrapolated": boolean], required: ["cosine", "basis", "reason"]),
                ],
            ],
            "security": [["bearer": [] as [Any]]],
            "paths": [
                "/healthz": ["get": op("liveness", tag: "system", auth: false, response: object(["status": string]))],
                "/readyz": ["get": op("readiness: the database answers", tag: "system", auth: false, response: object(["status": string]))],
                "/api/register": ["post": op("register an account (the first becomes admin)", tag: "accounts", auth: false,
                                             body: jsonBody(credentials), ok: "201", response: ref("Account"))],
                "/api/login": ["post": op("log in", tag: "accounts", auth: false, body: jsonBody(credentials), response: ref("Token"))],
                "/api/face_query": ["post": op("who is this? (largest face first; null person_info below the threshold, with the nearest similarity); several files (file repeated, or files) answer 'results', one per file; open without a token under --legacy-auth open", tag: "compatible",
                                               body: query, response: object(["similarity": nullable(number), "person_info": nullable(ref("PersonInfo")),
                                                                               "results": array(["type": "object"]),
                                                                               "processing_time": number, "message": string, "faces": array(["type": "object"]),
                                                                               "is_live": nullable(boolean), "liveness_score": nullable(number),
                                                                               "age": nullable(integer), "gender": nullable(string), "liveness_available": boolean],
                                                                              required: ["processing_time"]))],
                "/api/face_query_top5": ["post": op("the five best matches", tag: "compatible", body: query,
                                                    response: object(["results": array(ref("Match")), "processing_time": number],
                                                                     required: ["results", "processing_time"]))],
                "/api/add_embedding": ["post": op("enroll the largest face of an image", tag: "compatible",
                                                  body: multipart(["file": file, "class_id": string, "name": string, "info": string], required: ["file", "class_id"]),
                                                  ok: "201", response: object(["message": string, "class_id": string, "image_id": string]))],
                "/api/edit_embedding": ["put": op("replace an image's embedding (file), move it to another person (class_id), or both", tag: "compatible",
                                                  body: multipart(["file": file, "image_id": string, "class_id": string], required: ["image_id"]),
                                                  response: object(["message": string, "class_id": string, "image_id": string]))],
                "/api/delete_image": ["delete": op("delete an image", tag: "compatible", parameters: [Self.query("image_id", imageID)],
                                                   response: object(["message": string, "image_id": string]))],
                "/api/list_nguoi": ["get": op("list people, a page of at most 1,000 (X-Total-Count has the total)", tag: "compatible",
                                              parameters: [Self.query("offset", ["type": "integer", "minimum": 0, "maximum": Int(Int32.max)]),
                                                           Self.query("limit", ["type": "integer", "minimum": 1, "maximum": 1000])],
                                              response: array(ref("PersonInfo")))],
                "/api/get_image_ids_by_class/{class_id}": ["get": op("a person's image ids", tag: "compatible", parameters: [path("class_id")],
                                                                     response: object(["class_id": string, "image_ids": array(integer)]))],
                "/api/delete_class/{class_id}": ["delete": op("delete a person and their images", tag: "compatible", parameters: [path("class_id")],
                                                              response: object(["message": string, "class_id": string, "deleted_images": integer]))],
                "/api/index_status": ["get": op("index status", tag: "compatible", response: ref("IndexStatus"))],
                "/api/vector_info": ["get": op("vector information", tag: "compatible", response: ref("IndexStatus"))],
                "/api/reset_index": ["post": op("rebuild the index from the database (admin)", tag: "compatible", response: ref("IndexStatus"))],
                "/v1/auth/login": ["post": op("log in", tag: "accounts", auth: false, body: jsonBody(credentials), response: ref("Token"))],
                "/v1/accounts": [
                    "post": op("create an account", tag: "accounts", body: jsonBody(credentials), ok: "201", response: ref("Account")),
                    "get": op("every account (admin)", tag: "accounts", response: array(ref("Account"))),
                ],
                "/v1/accounts/{id}": ["delete": op("delete an account with its API keys (admin; the last enabled admin stays)", tag: "accounts",
                                                   parameters: [path("id", imageID)], ok: "204"),
                                      "patch": op("change an account's role, disable or enable it, or reset its password (admin; the last enabled admin stays)",
                                                  tag: "accounts", body: jsonBody(object(["role": ["type": "string", "enum": ["admin", "operator", "viewer"]],
                                                                                          "disabled": boolean, "password": string])),
                                                  parameters: [path("id", imageID)], response: ref("Account"))],
                "/v1/system": ["get": op("what runs: version, model pack and licences, counts, executor load, uptime", tag: "system",
                                         response: object(["version": string, "pack": string, "recognizer": string, "dimension": integer,
                                                           "models": array(object(["role": string, "file": string, "licence": nullable(string),
                                                                                   "restricted": boolean])),
                                                           "people": integer, "faces": integer,
                                                           "executors": array(object(["name": string, "threads": integer, "running": integer,
                                                                                      "queued": integer, "queue_limit": integer])),
                                                           "uptime_seconds": number, "liveness_available": boolean, "attributes_available": boolean],
                                                          required: ["version", "pack", "recognizer", "people", "faces"]))],
                "/v1/accounts/me": ["get": op("the caller's account", tag: "accounts", response: ref("Account"))],
                "/v1/accounts/me/password": ["post": op("change your own password, confirmed with the current one; every login token of the account ends and a fresh one is answered",
                                                        tag: "accounts", body: jsonBody(object(["current_password": string, "new_password": string],
                                                                                               required: ["current_password", "new_password"])),
                                                        response: ref("Token"))],
                "/v1/logout": ["post": op("end every login token of your account (API keys stay until revoked)", tag: "accounts", ok: "204")],
                "/v1/api-keys": [
                    "get": op("the caller's API keys", tag: "accounts", response: array(["type": "object"])),
                    "post": op("create an API key (shown once); needs the caller's current password, and a login token, not a key",
                               tag: "accounts",
                               body: jsonBody(object(["name": string, "password": string,
                                                      "expires_in_days": ["type": "integer", "minimum": 1, "maximum": 3650],
                                                      "account_id": ["type": "integer", "format": "int64", "description": "admins only: another account"]],
                                                     required: ["name", "password"])),
                               ok: "201", response: object(["id": integer, "account_id": integer, "name": string, "prefix": string, "key": string,
                                                            "created_at": string, "expires_at": nullable(string), "revoked": boolean])),
                ],
                "/v1/api-keys/{id}": ["delete": op("revoke an API key", tag: "accounts", parameters: [path("id", imageID)], ok: "204")],
                "/v1/people": [
                    "get": op("list people", tag: "people", parameters: [Self.query("offset", ["type": "integer", "minimum": 0, "maximum": Int(Int32.max)]),
                                                                         Self.query("limit", ["type": "integer", "minimum": 1, "maximum": 1000]),
                                                                         Self.query("search", string)],
                              response: object(["items": array(ref("Person")), "total": integer, "offset": integer, "limit": integer])),
                    "post": op("create a person", tag: "people", body: jsonBody(object(["class_id": string, "name": string, "info": string],
                                                                                       required: ["class_id", "name"])),
                               ok: "201", response: ref("Person")),
                ],
                "/v1/people/{class_id}": [
                    "get": op("a person", tag: "people", parameters: [path("class_id")], response: ref("Person")),
                    "patch": op("update a person", tag: "people", body: jsonBody(object(["name": string, "info": string])),
                                parameters: [path("class_id")], response: ref("Person")),
                    "delete": op("delete a person with their faces", tag: "people", parameters: [path("class_id")],
                                 response: object(["deleted_faces": integer])),
                ],
                "/v1/people/{class_id}/faces": [
                    "get": op("a person's faces", tag: "faces", parameters: [path("class_id")], response: array(ref("Face"))),
                    "post": op("enroll one or more images (field 'file', repeatable); a result per image", tag: "faces",
                               body: multipart(["file": file], required: ["file"]), parameters: [path("class_id")], ok: "201",
                               response: object(["results": array(["type": "object"])])),
                ],
                "/v1/faces/{id}/crop": ["get": ["summary": "the face as enrolled, with room around it (JPEG)", "tags": ["faces"],
                                                "parameters": [path("id", imageID)],
                                                "responses": ["200": ["description": "the crop", "content": ["image/jpeg": ["schema": file]]],
                                                              "default": ["description": "error", "content": ["application/json": ["schema": ref("Error")]]]]]],
                "/v1/faces/{id}/original": ["get": ["summary": "the uploaded image a face was enrolled from, where the server keeps them (--store-originals)",
                                                    "tags": ["faces"], "parameters": [path("id", imageID)],
                                                    "responses": ["200": ["description": "the image", "content": ["image/*": ["schema": file]]],
                                                                  "default": ["description": "error", "content": ["application/json": ["schema": ref("Error")]]]]]],
                "/v1/faces/{id}": [
                    "get": op("a face", tag: "faces", parameters: [path("id", imageID)], response: ref("Face")),
                    "delete": op("delete a face", tag: "faces", parameters: [path("id", imageID)], ok: "204"),
                ],
                "/v1/identify": ["post": op("identify every face: top-k matches above the threshold (threshold: the pack's cosine; min_confidence: 0-100; neither: the server's calibrated policy); an unknown face carries its nearest person below the threshold as 'nearest'",
                                            tag: "recognition",
                                            body: multipart(["file": file, "k": string, "threshold": string, "min_confidence": string, "liveness": string,
                                                             "attributes": string, "det_prob_threshold": string, "min_face_size": string],
                                                            required: ["file"]),
                                            response: object(["faces": array(["type": "object"]), "threshold": number, "threshold_applied": ref("ThresholdApplied"),
                                                              "recognizer": string, "processing_time": number], required: ["faces"]))],
                "/v1/verify": ["post": op("are these the same person? (file2, or class_id)", tag: "recognition",
                                          body: multipart(["file": file, "file2": file, "class_id": string, "threshold": string, "min_confidence": string],
                                                          required: ["file"]),
                                          response: object(["similarity": number, "confidence": nullable(number), "same_person": boolean, "threshold": number,
                                                            "threshold_applied": ref("ThresholdApplied")], required: ["similarity", "same_person"]))],
                "/v1/detect": ["post": op("detect faces (with liveness and age/gender when asked and the pack has them)", tag: "recognition",
                                          body: multipart(["file": file, "liveness": string, "attributes": string, "det_prob_threshold": string,
                                                           "min_face_size": string], required: ["file"]),
                                          response: object(["width": integer, "height": integer, "faces": array(["type": "object"])], required: ["faces"]))],
                "/v1/index": ["get": op("index status", tag: "index", response: ref("IndexStatus"))],
                "/v1/index/rebuild": ["post": op("rebuild the index from the database beside the serving one, which answers until the new one is swapped in (admin)",
                                                 tag: "index", response: ref("IndexStatus"))],
                "/v1/index/migrate": ["post": op("start re-embedding the gallery with another pack ('to': a pack name or file) from the stored crops, in the background; progress in /v1/index 'migration'; with 'switch': true the server serves the new pack as soon as every face is done (admin)",
                                                 tag: "index", body: jsonBody(object(["to": string, "switch": boolean], required: ["to"])), ok: "202",
                                                 response: object(["pack": string, "state": string]))],
                "/v1/index/switch": ["post": op("serve the gallery under another pack now, its migration being complete; recorded for the next start (admin)",
                                                tag: "index", body: jsonBody(object(["to": string], required: ["to"])),
                                                response: object(["pack": string, "state": string, "switched_faces": integer]))],
                "/v1/index/optimize": ["post": op("switch the index kind (exact, exact-f16, exact-i8, hnsw, ivf, auto), or rebuild and retrain the current one, online (admin)",
                                                  tag: "index", body: jsonBody(object(["kind": string])), response: ref("IndexStatus"))],
            ] as [String: Any],
        ]
    }
}
