"""questions.csv as people really save it: Excel's encodings and separators load correctly; every broken
variant is an InputError naming the line and the fix, never a raw traceback, a hang or a silent wrong result; an empty
string is never taken to mean "the current folder"."""
import pytest

from ai_pm_lab import capstone
from ai_pm_lab.capstone.project import MAX_COUNT, read_questions
from ai_pm_lab.errors import InputError
from ai_pm_lab.rag.documents import KnowledgeBaseError

HEADER = "question,answer,source,count"


def _csv(tmp_path, data, name="questions.csv"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _folder(tmp_path, questions: bytes | str):
    root = tmp_path / "shop"
    root.mkdir()
    (root / "opening-hours.md").write_text("# Opening hours\nThe café opens at nine every weekday and closes at six.\n")
    (root / "prices.md").write_text("# Prices\nA coffee costs 3 euros and a croissant costs 2 euros.\n")
    _csv(root, questions)
    return root


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig", "utf-8"])
def test_excel_encodings_load_with_their_accents(tmp_path, encoding):
    text = f"{HEADER}\r\nWhen does the café open?,at nine – every weekday,opening-hours.md,2\r\n"
    rows = read_questions(_csv(tmp_path, text.encode(encoding)))
    assert [(r["question"], r["answer"], r["count"], r["line"]) for r in rows] == [
        ("When does the café open?", "at nine – every weekday", 2, 2)]


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_detected(tmp_path, sep):
    text = sep.join(HEADER.split(",")) + "\n" + sep.join(["How much, roughly, is a coffee?", "3 euros", "prices.md", "4"]) + "\n"
    rows = read_questions(_csv(tmp_path, text))
    assert rows[0]["question"] == "How much, roughly, is a coffee?" and rows[0]["count"] == 4


def test_excel_utf16_tab_file_loads(tmp_path):
    text = "question\tanswer\tsource\tcount\r\nWhen does the café open?\tat nine\t\t1\r\n"
    assert read_questions(_csv(tmp_path, text.encode("utf-16")))[0]["question"] == "When does the café open?"


def test_a_row_with_more_fields_than_the_header_names_the_line(tmp_path):
    text = f"{HEADER}\nWhen do you open?,at nine,,1\nHow much is a coffee?,3 euros, or 4 with milk,prices.md,2\n"
    with pytest.raises(InputError, match=r"line 3 .*5 fields.*header has 4.*double quotes"):
        read_questions(_csv(tmp_path, text))


def test_trailing_empty_fields_from_a_spreadsheet_are_fine(tmp_path):
    rows = read_questions(_csv(tmp_path, f"{HEADER},,\nWhen do you open?,at nine,,1,,\n"))
    assert rows[0]["count"] == 1


@pytest.mark.parametrize("count", ["inf", "-inf", "nan", "1e400", "-2", "2.5", "lots"])
def test_impossible_counts_name_the_line(tmp_path, count):
    with pytest.raises(InputError, match=r"line 3 .*count"):
        read_questions(_csv(tmp_path, f"{HEADER}\nWhen do you open?,at nine,,1\nA coffee?,3 euros,,{count}\n"))


def test_a_huge_count_is_refused_at_once_not_expanded(tmp_path):
    path = _csv(tmp_path, f"{HEADER}\nWhen do you open?,at nine,,1e8\n")
    with pytest.raises(InputError, match=rf"line 2 .*{MAX_COUNT:,}.*Scale your counts down"):
        read_questions(path)
    root = _folder(tmp_path, f"{HEADER}\nWhen does the café open?,at nine,opening-hours.md,100000000\n")
    with pytest.raises(InputError, match="line 2"):
        capstone.open_project(root)  # raised before a single request of the day is built
    many = "".join(f"Question {i}?,answer {i},,{MAX_COUNT}\n" for i in range(10))
    with pytest.raises(InputError, match="add up to more than"):
        read_questions(_csv(tmp_path, f"{HEADER}\n{many}", name="many.csv"))


def test_an_unclosed_quote_never_swallows_the_rest_of_the_file(tmp_path):
    text = f'{HEADER}\nWhen do you open?,"at nine,,1\nA coffee?,3 euros,,1\nA croissant?,2 euros,,1\n'
    with pytest.raises(InputError, match=r"line 2 .*quote"):
        read_questions(_csv(tmp_path, text))


def test_a_quote_closed_rows_later_is_caught(tmp_path):
    text = f'{HEADER}\nWhen do you open?,"at nine,,1\nA coffee?,3 euros,,1\nA croissant?,2 euros",,1\n'
    with pytest.raises(InputError, match=r"lines 2-4 .*quote"):
        read_questions(_csv(tmp_path, text))
    text = f'{HEADER}\nWhen do you open?,"at nine,,1\nA coffee?,3 euros,,1\nA croissant?,"2 euros",,1\n'
    with pytest.raises(InputError, match=r"line 2 .*quote"):
        read_questions(_csv(tmp_path, text, name="stray.csv"))


def test_a_real_multi_line_answer_is_kept(tmp_path):
    rows = read_questions(_csv(tmp_path, f'{HEADER}\nWhen do you open?,"At nine.\nOn Sundays at ten.",,1\n'))
    assert rows[0]["answer"] == "At nine.\nOn Sundays at ten."


def test_a_duplicate_header_names_the_column(tmp_path):
    with pytest.raises(InputError, match=r"line 1 .*'answer' appears twice"):
        read_questions(_csv(tmp_path, "question,answer,Answer,count\nWhen do you open?,at nine,9am,1\n"))


def test_a_missing_header_says_how_the_line_was_split(tmp_path):
    with pytest.raises(InputError, match=r"'question' column.*commas"):
        read_questions(_csv(tmp_path, "q,a\nx,y\n"))


def test_undecodable_bytes_say_how_to_save(tmp_path):
    with pytest.raises(InputError, match="CSV UTF-8"):
        read_questions(_csv(tmp_path, f"{HEADER}\n".encode() + b"When do you open?,\x81\x8d\x8f,,1\n"))


def test_a_source_naming_a_missing_file_names_the_line(tmp_path):
    root = _folder(tmp_path, f"{HEADER}\nWhen does the café open?,at nine,opening-hours.md,1\n"
                             "How much is a coffee?,3 euros,price-list.pdf,1\n")
    with pytest.raises(InputError, match=r"line 3 .*'price-list.pdf'.*no document"):
        capstone.open_project(root)


def test_a_source_naming_an_unreadable_file_says_so(tmp_path):
    root = _folder(tmp_path, f"{HEADER}\nWhen does the café open?,at nine,opening-hours.md,1\n"
                             "What is in the menu?,soup,menu.pdf,1\n")
    (root / "menu.pdf").write_bytes(b"%PDF-1.4 cut off")
    with pytest.raises(InputError, match=r"line 3 .*menu.pdf is in the folder but could not be read"):
        capstone.open_project(root)


def test_a_good_folder_with_cp1252_semicolons_loads(tmp_path):
    text = ("question;answer;source;count\r\nWhen does the café open?;at nine;opening-hours.md;3\r\n"
            "How much is a coffee?;3 euros;prices.md;2\r\nWho designed the logo?;;;1\r\n")
    project = capstone.open_project(_folder(tmp_path, text.encode("cp1252")))
    assert [r["answerable"] for r in project.eval_rows] == [True, True, False]
    assert len(project.traffic) == 6 and project.questions_file.endswith("questions.csv")


@pytest.mark.parametrize("call", [capstone.open_project, capstone.preview_folder])
@pytest.mark.parametrize("folder", ["", "   "])
def test_an_empty_string_is_not_the_current_folder(call, folder):
    with pytest.raises(KnowledgeBaseError, match="empty string.*None"):
        call(folder)
