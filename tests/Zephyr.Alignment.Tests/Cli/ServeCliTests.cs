using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using OpenAI;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Cli;

/// <summary>One <c>zephyr serve</c> process for the class, over loopback.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private ZephyrProcess? _server;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = new ZephyrProcess(
            ["serve", "--model", TestPaths.Fixture("tiny-llama"), "--name", "tiny", "--urls", "http://127.0.0.1:0", "--max-request-bytes", "4096", "--max-tokens-limit", "64", "--default-max-tokens", "8"],
            waitFor: "listening on");
        string line = await _server.WaitForLineAsync(TimeSpan.FromMinutes(1));
        BaseAddress = new Uri(Regex.Match(line, @"http://127\.0\.0\.1:\d+").Value);
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The official OpenAI .NET client, through Microsoft.Extensions.AI.OpenAI.</summary>
    public IChatClient OpenAIChatClient(string model = "tiny") =>
        new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(BaseAddress, "/v1") }).GetChatClient(model).AsIChatClient();
}

public sealed class ServeCliTests(ServeFixture server) : IClassFixture<ServeFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = server.BaseAddress };

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task The_official_openai_client_gets_what_the_model_says_in_process_whole_and_streamed()
    {
        using LocalChatClient local = LocalChatClient.Load(TestPaths.Fixture("tiny-llama"), new LocalChatClientOptions { ModelId = "tiny" });
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "What is rain?")];
        var options = new ChatOptions { MaxOutputTokens = 10, Temperature = 0 };
        string expected = (await local.GetResponseAsync(messages, options)).Text;

        IChatClient client = server.OpenAIChatClient();
        ChatResponse response = await client.GetResponseAsync(messages, options);
        Assert.Equal(expected, response.Text);
        Assert.Equal(10, response.Usage!.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);

        var streamed = new StringBuilder();
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(messages, options))
        {
            streamed.Append(update.Text);
        }

        Assert.Equal(expected, streamed.ToString());
    }

    [Fact]
    public async Task Concurrent_requests_are_queued_on_the_one_model_and_each_gets_its_own_answer()
    {
        IChatClient client = server.OpenAIChatClient();
        ChatOptions Options(int seed) => new() { MaxOutputTokens = 6, Temperature = 1, Seed = seed };
        var sequential = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            sequential.Add((await client.GetResponseAsync($"prompt {i}", Options(i))).Text);
        }

        ChatResponse[] concurrent = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => client.GetResponseAsync($"prompt {i}", Options(i))));
        Assert.Equal(sequential, concurrent.Select(r => r.Text));
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        using JsonDocument models = JsonDocument.Parse(await _http.GetStringAsync("/v1/models"));
        JsonElement model = Assert.Single(models.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("tiny", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/v1/models/other")).StatusCode);
    }

    [Theory]
    [InlineData("{\"model\": \"tiny\", \"messages\": [", HttpStatusCode.BadRequest, "invalid_json")]
    [InlineData("{\"model\": \"gpt-4\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", HttpStatusCode.NotFound, "model_not_found")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 65}", HttpStatusCode.BadRequest, "max_tokens_exceeded")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"n\": 2}", HttpStatusCode.BadRequest, "unsupported_parameter")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"frequency_penalty\": 1}", HttpStatusCode.BadRequest, "unsupported_parameter")]
    [InlineData("{\"model\": \"tiny\", \"messages\": []}", HttpStatusCode.BadRequest, null)]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", HttpStatusCode.BadRequest, null)]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"temperature\": 3}", HttpStatusCode.BadRequest, null)]
    public async Task Bad_requests_get_openai_style_errors_with_4xx_codes(string body, HttpStatusCode status, string? code)
    {
        using HttpResponseMessage response = await _http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement e = error.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(e.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        Assert.Equal(code, e.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_oversized_body_or_a_prompt_longer_than_the_model_takes_is_refused_and_the_server_keeps_serving()
    {
        string big = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "user", content = new string('x', 8000) } } });
        using (HttpResponseMessage response = await _http.PostAsync("/v1/chat/completions", new StringContent(big, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("\"code\":\"request_too_large\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        string longPrompt = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "user", content = string.Join(' ', Enumerable.Repeat("rain", 600)) } } });
        using (HttpResponseMessage response = await _http.PostAsync("/v1/chat/completions", new StringContent(longPrompt, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("\"code\":\"context_length_exceeded\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var error = await Assert.ThrowsAsync<ClientResultException>(() => server.OpenAIChatClient("nope").GetResponseAsync("Hi"));
        Assert.Equal(404, error.Status);
        Assert.NotEmpty((await server.OpenAIChatClient().GetResponseAsync("Hi")).Text);
    }

    [Fact]
    public async Task The_chat_page_is_served_at_the_root_and_the_sse_it_parses_has_the_shape_it_expects()
    {
        // Headless Chromium is not installed here, so the page's contract is checked over HTTP: the calls it makes and
        // the event stream it parses ("data: {chunk}" events with choices[].delta.content, ended by "data: [DONE]").
        using HttpResponseMessage page = await _http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("fetch('/v1/models')", html, StringComparison.Ordinal);
        Assert.Contains("fetch('/v1/chat/completions'", html, StringComparison.Ordinal);
        Assert.Contains("stream: true", html, StringComparison.Ordinal);

        string request = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "user", content = "Hi" } }, stream = true, temperature = 0.7, max_tokens = 6 });
        using HttpResponseMessage response = await _http.PostAsync("/v1/chat/completions", new StringContent(request, Encoding.UTF8, "application/json"));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        string[] events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        using JsonDocument first = JsonDocument.Parse(events[0][6..]);
        Assert.Equal("assistant", first.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        using JsonDocument last = JsonDocument.Parse(events[^2][6..]);
        Assert.Equal("length", last.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }
}
