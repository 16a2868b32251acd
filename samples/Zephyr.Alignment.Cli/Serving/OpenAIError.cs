using Microsoft.AspNetCore.Http;

namespace Zephyr.Alignment.Cli.Serving;

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>, with a 4xx/5xx status.</summary>
internal static class OpenAIError
{
    public static IResult Create(int status, string message, string? param = null, string? code = null, string type = "invalid_request_error") =>
        Results.Json(new { error = new { message, type, param, code } }, statusCode: status);

    public static IResult BadRequest(string message, string? param = null, string? code = null) => Create(StatusCodes.Status400BadRequest, message, param, code);
}
