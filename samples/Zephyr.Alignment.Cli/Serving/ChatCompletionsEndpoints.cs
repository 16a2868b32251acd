using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;

namespace Zephyr.Alignment.Cli.Serving;

/// <summary>
/// The OpenAI-compatible API over any <see cref="IChatClient"/>: <c>POST /v1/chat/completions</c> (whole responses
/// and SSE streams) and <c>GET /v1/models</c>. Bad requests get OpenAI-style error bodies with 4xx codes: malformed
/// JSON, missing fields, unknown models (404), oversized bodies (413), too many tokens, and options the model
/// cannot honour. Parameters this server does not know are ignored, as OpenAI-compatible servers commonly do.
/// </summary>
internal static class ChatCompletionsEndpoints
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapOpenAIChatCompletions(this IEndpointRouteBuilder app, IReadOnlyList<ServedModel> models)
    {
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        object Model(ServedModel m) => new { id = m.Id, @object = "model", created, owned_by = "zephyr" };
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = models.Select(Model).ToArray() }));
        app.MapGet("/v1/models/{id}", (string id) => models.FirstOrDefault(m => m.Id == id) is { } m
            ? Results.Json(Model(m))
            : OpenAIError.Create(StatusCodes.Status404NotFound, $"The model '{id}' does not exist.", "model", "model_not_found"));
        app.MapPost("/v1/chat/completions", (Delegate)((HttpContext context) => CompleteAsync(context, models)));
        return app;
    }

    private static async Task<IResult> CompleteAsync(HttpContext context, IReadOnlyList<ServedModel> models)
    {
        CancellationToken aborted = context.RequestAborted;
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: aborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return OpenAIError.Create(StatusCodes.Status413PayloadTooLarge, "The request body is too large.", code: "request_too_large");
        }
        catch (JsonException e)
        {
            return OpenAIError.BadRequest($"The request body is not valid JSON: {e.Message}", code: "invalid_json");
        }

        using (body)
        {
            JsonElement root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return OpenAIError.BadRequest("The request body must be a JSON object.");
            }

            if (!root.TryGetProperty("model", out JsonElement modelName) || modelName.ValueKind != JsonValueKind.String)
            {
                return OpenAIError.BadRequest("'model' is required and must be a string.", "model");
            }

            ServedModel? model = models.FirstOrDefault(m => m.Id == modelName.GetString());
            if (model is null)
            {
                return OpenAIError.Create(StatusCodes.Status404NotFound, $"The model '{modelName.GetString()}' does not exist; this server has {string.Join(", ", models.Select(m => m.Id))}.", "model", "model_not_found");
            }

            if (ParseRequest(root, model) is { Error: { } error })
            {
                return error;
            }

            (List<ChatMessage> messages, ChatOptions options, bool stream, bool includeUsage) = ParseRequest(root, model).Request!.Value;
            try
            {
                if (!stream)
                {
                    ChatResponse response = await model.Client.GetResponseAsync(messages, options, aborted);
                    return Results.Json(
                        new
                        {
                            id = response.ResponseId ?? "chatcmpl-" + Guid.NewGuid().ToString("N"),
                            @object = "chat.completion",
                            created = (response.CreatedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
                            model = model.Id,
                            choices = new[] { new { index = 0, message = new { role = "assistant", content = response.Text }, finish_reason = FinishReason(response.FinishReason) } },
                            usage = Usage(response.Usage),
                        },
                        Json);
                }

                await StreamAsync(context, model, messages, options, includeUsage, aborted);
                return Results.Empty;
            }
            catch (NotSupportedException e)
            {
                return OpenAIError.BadRequest(e.Message, code: "unsupported_parameter");
            }
            catch (ArgumentException e) when (!context.Response.HasStarted)
            {
                string message = e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", string.Empty, StringComparison.Ordinal) : e.Message;
                return OpenAIError.BadRequest(message, code: message.Contains("tokens", StringComparison.Ordinal) ? "context_length_exceeded" : null);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The client went away; generation stopped with it.
                return Results.Empty;
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                return OpenAIError.Create(StatusCodes.Status500InternalServerError, $"The model failed: {e.Message}", type: "server_error");
            }
        }
    }

    private static (IResult? Error, (List<ChatMessage>, ChatOptions, bool, bool)? Request) ParseRequest(JsonElement root, ServedModel model)
    {
        if (!root.TryGetProperty("messages", out JsonElement list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            return (OpenAIError.BadRequest("'messages' is required and must be a non-empty array.", "messages"), null);
        }

        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (JsonElement m in list.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out JsonElement role) || role.ValueKind != JsonValueKind.String)
            {
                return (OpenAIError.BadRequest($"'{at}.role' is required.", at), null);
            }

            string? text = m.TryGetProperty("content", out JsonElement content) ? content.ValueKind switch
            {
                JsonValueKind.String => content.GetString(),
                JsonValueKind.Array when content.EnumerateArray().All(p => p.TryGetProperty("type", out JsonElement t) && t.GetString() == "text") =>
                    string.Concat(content.EnumerateArray().Select(p => p.GetProperty("text").GetString())),
                _ => null,
            } : null;
            if (text is null)
            {
                return (OpenAIError.BadRequest($"'{at}.content' must be a string or a list of text parts.", at), null);
            }

            string roleName = role.GetString()!;
            if (roleName == "developer")
            {
                roleName = "system";
            }

            if (roleName is not ("system" or "user" or "assistant"))
            {
                return (OpenAIError.BadRequest($"'{at}.role' '{roleName}' is not supported (system, developer, user, assistant).", at), null);
            }

            messages.Add(new ChatMessage(new ChatRole(roleName), text));
        }

        var options = new ChatOptions();
        if (Number(root, "temperature", 0, 2) is { Error: { } e1 })
        {
            return (e1, null);
        }

        options.Temperature = (float?)Number(root, "temperature", 0, 2).Value;
        if (Number(root, "top_p", 0, 1) is { Error: { } e2 })
        {
            return (e2, null);
        }

        options.TopP = (float?)Number(root, "top_p", 0, 1).Value;
        options.FrequencyPenalty = (float?)Number(root, "frequency_penalty", -2, 2).Value;
        options.PresencePenalty = (float?)Number(root, "presence_penalty", -2, 2).Value;
        string tokensField = root.TryGetProperty("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens";
        (IResult? tokensError, double? maxTokens) = Number(root, tokensField, 1, double.MaxValue);
        if (tokensError is not null)
        {
            return (tokensError, null);
        }

        if (maxTokens > model.MaxTokensLimit)
        {
            return (OpenAIError.BadRequest($"'{tokensField}' is {maxTokens}; this server allows at most {model.MaxTokensLimit}.", tokensField, "max_tokens_exceeded"), null);
        }

        options.MaxOutputTokens = (int)(maxTokens ?? model.DefaultMaxTokens);
        if (root.TryGetProperty("seed", out JsonElement seed) && seed.ValueKind != JsonValueKind.Null)
        {
            if (!seed.TryGetInt64(out long s))
            {
                return (OpenAIError.BadRequest("'seed' must be an integer.", "seed"), null);
            }

            options.Seed = s;
        }

        if (root.TryGetProperty("stop", out JsonElement stop) && stop.ValueKind != JsonValueKind.Null)
        {
            options.StopSequences = stop.ValueKind == JsonValueKind.String ? [stop.GetString()!]
                : stop.ValueKind == JsonValueKind.Array && stop.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) ? stop.EnumerateArray().Select(x => x.GetString()!).ToList()
                : null;
            if (options.StopSequences is null)
            {
                return (OpenAIError.BadRequest("'stop' must be a string or a list of strings.", "stop"), null);
            }
        }

        if (root.TryGetProperty("n", out JsonElement n) && n.ValueKind != JsonValueKind.Null && (!n.TryGetInt32(out int count) || count != 1))
        {
            return (OpenAIError.BadRequest("Only n = 1 is supported.", "n", "unsupported_parameter"), null);
        }

        if (root.TryGetProperty("tools", out JsonElement tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            return (OpenAIError.BadRequest("Tools are not supported by this server.", "tools", "unsupported_parameter"), null);
        }

        if (root.TryGetProperty("logprobs", out JsonElement logprobs) && logprobs.ValueKind == JsonValueKind.True)
        {
            return (OpenAIError.BadRequest("logprobs are not supported by this server.", "logprobs", "unsupported_parameter"), null);
        }

        if (root.TryGetProperty("response_format", out JsonElement format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("type", out JsonElement type) && type.GetString() != "text")
        {
            return (OpenAIError.BadRequest($"response_format '{type.GetString()}' is not supported by this server.", "response_format", "unsupported_parameter"), null);
        }

        bool stream = root.TryGetProperty("stream", out JsonElement s1) && s1.ValueKind == JsonValueKind.True;
        bool includeUsage = root.TryGetProperty("stream_options", out JsonElement so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out JsonElement iu) && iu.ValueKind == JsonValueKind.True;
        return (null, (messages, options, stream, includeUsage));
    }

    private static (IResult? Error, double? Value) Number(JsonElement root, string name, double min, double max)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || number < min || number > max)
        {
            string range = max == double.MaxValue ? $"at least {min}" : $"between {min} and {max}";
            return (OpenAIError.BadRequest($"'{name}' must be a number {range}; got {value.GetRawText()}.", name), null);
        }

        return (null, number);
    }

    private static async Task StreamAsync(HttpContext context, ServedModel model, List<ChatMessage> messages, ChatOptions options, bool includeUsage, CancellationToken aborted)
    {
        IAsyncEnumerator<ChatResponseUpdate> updates = model.Client.GetStreamingResponseAsync(messages, options, aborted).GetAsyncEnumerator(aborted);
        try
        {
            // Pull the first update before sending headers, so that a refused request still gets an error status.
            bool any = await updates.MoveNextAsync();
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            bool first = true;
            UsageDetails? usage = null;
            while (any)
            {
                ChatResponseUpdate update = updates.Current;
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                string? text = update.Text is { Length: > 0 } t ? t : null;
                if (text is not null || update.FinishReason is not null || first)
                {
                    object delta = first ? new { role = "assistant", content = text ?? string.Empty } : new { content = text };
                    await SendAsync(context, new
                    {
                        id,
                        @object = "chat.completion.chunk",
                        created,
                        model = model.Id,
                        choices = new[] { new { index = 0, delta, finish_reason = FinishReason(update.FinishReason) } },
                    }, aborted);
                    first = false;
                }

                any = await updates.MoveNextAsync();
            }

            if (includeUsage)
            {
                await SendAsync(context, new { id, @object = "chat.completion.chunk", created, model = model.Id, choices = Array.Empty<object>(), usage = Usage(usage) }, aborted);
            }

            await context.Response.WriteAsync("data: [DONE]\n\n", aborted);
        }
        finally
        {
            await updates.DisposeAsync();
        }
    }

    private static async Task SendAsync(HttpContext context, object chunk, CancellationToken aborted)
    {
        await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, Json) + "\n\n", aborted);
        await context.Response.Body.FlushAsync(aborted);
    }

    private static string? FinishReason(ChatFinishReason? reason) =>
        reason is null ? null : reason == ChatFinishReason.Length ? "length" : "stop";

    private static object Usage(UsageDetails? usage) => new
    {
        prompt_tokens = usage?.InputTokenCount ?? 0,
        completion_tokens = usage?.OutputTokenCount ?? 0,
        total_tokens = usage?.TotalTokenCount ?? 0,
    };
}
