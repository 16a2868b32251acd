using System.Text;
using System.Text.Json;
using PuppeteerSharp;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Cli;

/// <summary>The chat page of <c>zephyr serve</c>, driven in headless Chromium (Debian's <c>chromium</c> package).</summary>
public sealed partial class ServeCliTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    [Fact]
    public async Task The_chat_page_streams_an_answer_into_the_log_and_shows_the_error_of_a_failing_request()
    {
        Assert.True(
            File.Exists(ChromiumPath),
            $"{ChromiumPath} is missing: this test drives the chat page of 'zephyr serve' in headless Chromium. Install the Debian package 'chromium' (sudo apt-get install -y chromium); .ci/run does this on CI.");

        // What the model answers to this one message, asked over the API with the settings the page will send.
        string body = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "user", content = "What is rain?" } }, temperature = 0, max_tokens = 8 });
        using HttpResponseMessage reference = await _http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        reference.EnsureSuccessStatusCode();
        using JsonDocument referenceJson = JsonDocument.Parse(await reference.Content.ReadAsStringAsync());
        string expected = referenceJson.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.NotEqual("", expected.Trim());

        using var profile = new TempDirectory();
        await using IBrowser browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath, // never a downloaded browser
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.Path}",
            ],
            Timeout = 30_000,
        });
        await using IPage page = await browser.NewPageAsync();
        page.DefaultTimeout = 15_000;
        await page.SetViewportAsync(new ViewPortOptions { Width = 900, Height = 600 });
        var posted = new List<string>();
        var streamedTypes = new List<string?>();
        page.Request += (_, e) =>
        {
            if (e.Request.Url.EndsWith("/v1/chat/completions", StringComparison.Ordinal) && e.Request.PostData is string data)
            {
                lock (posted)
                {
                    posted.Add(data);
                }
            }
        };
        page.Response += (_, e) =>
        {
            if (e.Response.Url.EndsWith("/v1/chat/completions", StringComparison.Ordinal) && e.Response.Status == System.Net.HttpStatusCode.OK)
            {
                lock (streamedTypes)
                {
                    streamedTypes.Add(e.Response.Headers.TryGetValue("content-type", out string? type) ? type : null);
                }
            }
        };

        await page.GoToAsync(new Uri(_http.BaseAddress!, "/").ToString(), WaitUntilNavigation.Load);
        await page.WaitForSelectorAsync("#model option[value='tiny']"); // the page listed the served model
        await SetNumberAsync(page, "#temperature", "0");
        await SetNumberAsync(page, "#maxTokens", "8");

        // Enter sends; the user's message and the streamed answer appear in the log.
        await page.TypeAsync("#input", "What is rain?");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => !document.getElementById('send').disabled && document.querySelectorAll('#log .msg').length === 2");
        string[][] log = await LogAsync(page);
        Assert.Equal(["msg user", "What is rain?"], log[0]);
        Assert.Equal(["msg assistant", expected], log[1]);
        using (JsonDocument request = JsonDocument.Parse(Assert.Single(posted)))
        {
            Assert.True(request.RootElement.GetProperty("stream").GetBoolean());
            Assert.Equal(8, request.RootElement.GetProperty("max_tokens").GetInt32());
        }

        Assert.StartsWith("text/event-stream", Assert.Single(streamedTypes), StringComparison.Ordinal);
        await SaveScreenshotAsync(page, "answer");

        // A request the server refuses (max_tokens above --max-tokens-limit 64) shows its error message in the log.
        await SetNumberAsync(page, "#maxTokens", "65");
        await page.TypeAsync("#input", "Once more?");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => !document.getElementById('send').disabled && document.querySelectorAll('#log .msg').length === 4");
        log = await LogAsync(page);
        Assert.Equal("msg error", log[3][0]);
        Assert.StartsWith("Error: ", log[3][1], StringComparison.Ordinal);
        Assert.Contains("64", log[3][1], StringComparison.Ordinal); // the server's message, naming the limit
        await SaveScreenshotAsync(page, "error");

        // The failed turn is not sent as history: the next request carries the first exchange and the new message only.
        await SetNumberAsync(page, "#maxTokens", "4");
        await page.TypeAsync("#input", "Again?");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => !document.getElementById('send').disabled && document.querySelectorAll('#log .msg').length === 6");
        using JsonDocument last = JsonDocument.Parse(posted[^1]);
        Assert.Equal(
            ["user:What is rain?", $"assistant:{expected}", "user:Again?"],
            last.RootElement.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role").GetString()}:{m.GetProperty("content").GetString()}"));
        Assert.Equal("msg assistant", (await LogAsync(page))[5][0]);
    }

    private static async Task SetNumberAsync(IPage page, string selector, string value)
    {
        await page.EvaluateFunctionAsync("(s, v) => { document.querySelector(s).value = v; }", selector, value);
    }

    private static Task<string[][]> LogAsync(IPage page)
        => page.EvaluateExpressionAsync<string[][]>("[...document.querySelectorAll('#log .msg')].map(d => [d.className, d.textContent])");

    /// <summary>
    /// Saves screenshots, desktop and phone width, when ZEPHYR_SCREENSHOT_DIR names a folder (to look at the layout);
    /// tests never read them.
    /// </summary>
    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("ZEPHYR_SCREENSHOT_DIR") is { Length: > 0 } folder)
        {
            await page.ScreenshotAsync(Path.Combine(folder, $"zephyr-chat-{name}.png"));
            await page.SetViewportAsync(new ViewPortOptions { Width = 390, Height = 700 });
            await page.ScreenshotAsync(Path.Combine(folder, $"zephyr-chat-{name}-narrow.png"));
            await page.SetViewportAsync(new ViewPortOptions { Width = 900, Height = 600 });
        }
    }
}
