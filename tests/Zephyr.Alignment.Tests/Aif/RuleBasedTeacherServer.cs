using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Zephyr.Alignment.Tests.Aif;

/// <summary>
/// The rule-based teacher behind a real OpenAI-compatible HTTP endpoint on loopback (non-streaming
/// <c>/v1/chat/completions</c>), so a separate <c>zephyr aif</c> process can use it. Records the Authorization
/// headers it receives; <see cref="Gate"/> can hold a request until the test releases it.
/// </summary>
internal sealed class RuleBasedTeacherServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly RuleBasedTeacher.ChatClient _teacher = new();
    private readonly Task _loop;
    private int _requests;

    public RuleBasedTeacherServer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}/v1";

    public ConcurrentQueue<string> Authorizations { get; } = new();

    public int Requests => _requests;

    /// <summary>Awaited before answering request number n (1-based); null answers at once.</summary>
    public Func<int, Task>? Gate { get; set; }

    /// <summary>Request numbers answered with HTTP 503 (a transient failure the client retries).</summary>
    public HashSet<int> Unavailable { get; } = [];

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under the loop.
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            int number = Interlocked.Increment(ref _requests);
            Authorizations.Enqueue(context.Request.Headers["Authorization"] ?? string.Empty);
            if (Gate is { } gate)
            {
                await gate(number);
            }

            if (Unavailable.Contains(number))
            {
                await WriteAsync(context, 503, "{\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
                return;
            }

            using JsonDocument body = await JsonDocument.ParseAsync(context.Request.InputStream);
            var messages = body.RootElement.GetProperty("messages").EnumerateArray()
                .Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString()!), m.GetProperty("content").GetString()))
                .ToList();
            ChatResponse response = await _teacher.GetResponseAsync(messages);
            string json = JsonSerializer.Serialize(new
            {
                id = $"chatcmpl-{number}",
                @object = "chat.completion",
                created = 0,
                model = body.RootElement.GetProperty("model").GetString(),
                choices = new[] { new { index = 0, message = new { role = "assistant", content = response.Text }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 1, completion_tokens = 1, total_tokens = 2 },
            });
            await WriteAsync(context, 200, json);
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client was killed mid-request.
        }
    }

    private static async Task WriteAsync(HttpListenerContext context, int status, string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
